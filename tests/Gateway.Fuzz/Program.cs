using Gateway.Fuzz.Targets;
using SharpFuzz;

// Usage: Gateway.Fuzz <target> [--out-of-process]
//        Gateway.Fuzz <target> --instrument-prefixes
// Under afl-fuzz, runs the target in SharpFuzz's persistent loop; otherwise runs it once on standard input, so
// `dotnet Gateway.Fuzz.dll clienthello < crash.bin` replays a finding with its exception and stack trace.
if (args.Length is < 1 or > 2 || FuzzTargets.Find(args[0]) is not { } target)
{
    await Console.Error.WriteLineAsync(
        "Usage: Gateway.Fuzz <target> [--out-of-process | --instrument-prefixes]\nTargets: " +
        string.Join(", ", FuzzTargets.All.Select(t => t.Name)));
    return 2;
}

var mode = args.Length == 2 ? args[1] : null;
switch (mode)
{
    case "--instrument-prefixes":
        // What tests/fuzz/run.sh passes to `sharpfuzz Gateway.dll`.
        Console.WriteLine(string.Join(' ', target.InstrumentPrefixes));
        return 0;
    case "--out-of-process":
        // Slower (each crash restarts a child dotnet process) but survives StackOverflow and hangs.
        Fuzzer.OutOfProcess.Run(stream => RunOnce(target, stream));
        return 0;
    case null:
        Fuzzer.Run(stream => RunOnce(target, stream));
        return 0;
    default:
        await Console.Error.WriteLineAsync($"Unknown option {mode}.");
        return 2;
}

static void RunOnce(FuzzTarget target, Stream input)
{
    using var buffer = new MemoryStream();
    input.CopyTo(buffer);
    target.Check(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
}
