using System.Buffers.Binary;
using System.Diagnostics;
using Gateway.Sni;
using Xunit.Abstractions;

namespace Gateway.Tests.Sni;

public sealed class ClientHelloParserFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 0x5EED_C1E0;
    private const int Iterations = 120_000;

    [Fact]
    public void Mutated_hellos_never_throw_and_give_consistent_verdicts()
    {
        var corpus = BuildCorpus();
        var random = new Random(Seed);
        var counts = new int[5];
        var reasons = new Dictionary<string, int>(StringComparer.Ordinal);
        var stopwatch = Stopwatch.StartNew();

        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var seed = corpus[random.Next(corpus.Count)];
            var data = Mutate(random, seed);
            var maxBytes = PickCap(random, data.Length);
            var prefixLength = data.Length == 0 ? 0 : random.Next(data.Length);
            try
            {
                var result = ClientHelloParser.Parse(data, maxBytes);
                counts[(int)result.Status]++;
                if (result.Reason is { } reason)
                {
                    reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
                }

                CheckConsistent(data, maxBytes, result);
                CheckPrefix(data.AsSpan(0, prefixLength), maxBytes, result);
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                throw new InvalidOperationException(
                    $"Iteration {iteration} (seed {Seed}), maxBytes {maxBytes}: {Convert.ToHexString(data)}", ex);
            }
        }

        stopwatch.Stop();
        output.WriteLine(
            $"{Iterations} inputs in {stopwatch.ElapsedMilliseconds} ms: " +
            string.Join(", ", Enum.GetValues<ClientHelloStatus>().Select(status => $"{status}={counts[(int)status]}")));
        foreach (var (reason, count) in reasons.OrderByDescending(pair => pair.Value))
        {
            output.WriteLine($"  {count,6}  {reason}");
        }

        // Each status must actually be reached, or the mutations are not exercising the parser.
        Assert.All(counts, count => Assert.True(count > 100));
    }

    private static void CheckConsistent(ReadOnlySpan<byte> data, int maxBytes, ClientHelloResult result)
    {
        switch (result.Status)
        {
            case ClientHelloStatus.Complete:
                Assert.Null(result.Reason);
                var hello = Assert.IsType<ClientHelloInfo>(result.Hello);
                Assert.InRange(hello.RecordBytes, 5 + 4 + 41, data.Length);
                Assert.True(hello.RecordBytes <= maxBytes);
                if (hello.ServerName is { } name)
                {
                    Assert.InRange(name.Length, 1, 255);
                    Assert.All(name, c => Assert.InRange(c, '!', '~'));
                }

                Assert.All(hello.ApplicationProtocols, protocol => Assert.NotEmpty(protocol));

                // Bytes after the hello must not matter.
                var trimmed = ClientHelloParser.Parse(data[..hello.RecordBytes], maxBytes);
                Assert.Equal(ClientHelloStatus.Complete, trimmed.Status);
                Assert.Equal(hello.RecordBytes, trimmed.Hello!.RecordBytes);
                Assert.Equal(hello.ServerName, trimmed.Hello.ServerName);
                break;
            case ClientHelloStatus.NeedMoreData:
                Assert.Null(result.Reason);
                Assert.Null(result.Hello);
                Assert.True(data.IsEmpty || data.Length < maxBytes);
                break;
            case ClientHelloStatus.NotTls:
            case ClientHelloStatus.Invalid:
            case ClientHelloStatus.TooLarge:
                Assert.Null(result.Hello);
                Assert.False(string.IsNullOrEmpty(result.Reason));
                break;
            default:
                Assert.Fail($"Undocumented status {result.Status}");
                break;
        }
    }

    /// <summary>The router re-parses as bytes arrive, so verdicts must not flip as the input grows.</summary>
    private static void CheckPrefix(ReadOnlySpan<byte> prefix, int maxBytes, ClientHelloResult full)
    {
        var partial = ClientHelloParser.Parse(prefix, maxBytes);
        if (partial.Status == ClientHelloStatus.Invalid)
        {
            Assert.Equal((partial.Status, partial.Reason), (full.Status, full.Reason));
        }

        // Only the reason may sharpen: a lone high-bit byte is guessed to be SSLv2 until byte 2 arrives.
        if (partial.Status == ClientHelloStatus.NotTls)
        {
            Assert.Equal(ClientHelloStatus.NotTls, full.Status);
        }

        if (partial.Status == ClientHelloStatus.Complete)
        {
            Assert.Equal(ClientHelloStatus.Complete, full.Status);
            Assert.Equal(partial.Hello!.RecordBytes, full.Hello!.RecordBytes);
        }

        if (full.Status == ClientHelloStatus.Complete && prefix.Length < full.Hello!.RecordBytes)
        {
            Assert.Equal(ClientHelloStatus.NeedMoreData, partial.Status);
        }
    }

    private static int PickCap(Random random, int length) => random.Next(10) switch
    {
        < 6 => 16 * 1024,
        6 => int.MaxValue,
        7 => random.Next(-2, 64),
        _ => random.Next(Math.Max(1, length - 32), length + 32),
    };

    private static byte[] Mutate(Random random, CorpusEntry seed)
    {
        var handshake = seed.Handshake;
        if (random.Next(2) == 0)
        {
            handshake = MutateLengthField(random, handshake, seed.LengthFields);
        }

        if (random.Next(4) == 0)
        {
            handshake = MutateBytes(random, handshake);
        }

        var records = random.Next(3) switch
        {
            0 => ClientHelloBuilder.WrapInRecords(handshake),
            1 => ClientHelloBuilder.WrapInRecords(handshake, random.Next(1, 300)),
            _ => FragmentRandomly(random, handshake),
        };

        var rounds = random.Next(3) == 0 ? random.Next(1, 4) : 0;
        for (var i = 0; i < rounds; i++)
        {
            records = MutateBytes(random, records);
        }

        if (random.Next(5) == 0)
        {
            var trailing = new byte[random.Next(1, 64)];
            random.NextBytes(trailing);
            records = [.. records, .. trailing];
        }

        return records;
    }

    private static byte[] MutateLengthField(Random random, byte[] handshake, List<(int Offset, int Width)> fields)
    {
        var (offset, width) = fields[random.Next(fields.Count)];
        var max = (1 << (8 * width)) - 1;
        var current = ReadBigEndian(handshake.AsSpan(offset, width));
        var value = random.Next(8) switch
        {
            0 => 0,
            1 => 1,
            2 => current - 1,
            3 => current + 1,
            4 => max,
            5 => current * 2,
            6 => current + random.Next(-8, 9),
            _ => random.Next(max + 1),
        };

        var copy = (byte[])handshake.Clone();
        WriteBigEndian(copy.AsSpan(offset, width), Math.Clamp(value, 0, max));
        return copy;
    }

    private static byte[] MutateBytes(Random random, byte[] input)
    {
        if (input.Length == 0)
        {
            return [(byte)random.Next(256)];
        }

        var position = random.Next(input.Length);
        var copy = (byte[])input.Clone();
        switch (random.Next(7))
        {
            case 0:
                copy[position] ^= (byte)(1 << random.Next(8));
                return copy;
            case 1:
                copy[position] = (byte)random.Next(256);
                return copy;
            case 2:
                copy[position] = (byte)(random.Next(4) switch { 0 => 0x00, 1 => 0xFF, 2 => 0x16, _ => 0x03 });
                return copy;
            case 3:
                return input[..random.Next(input.Length)];
            case 4:
                var inserted = new byte[random.Next(1, 17)];
                random.NextBytes(inserted);
                return [.. input.AsSpan(0, position), .. inserted, .. input.AsSpan(position)];
            case 5:
                var start = random.Next(input.Length);
                var length = random.Next(1, Math.Min(64, input.Length - start) + 1);
                return [.. input.AsSpan(0, position), .. input.AsSpan(start, length), .. input.AsSpan(position)];
            default:
                var removed = random.Next(1, Math.Min(32, input.Length - position) + 1);
                return [.. input.AsSpan(0, position), .. input.AsSpan(position + removed)];
        }
    }

    private static byte[] FragmentRandomly(Random random, byte[] handshake)
    {
        var records = new List<byte>(handshake.Length + 64);
        for (var offset = 0; offset < handshake.Length;)
        {
            var size = Math.Min(handshake.Length - offset, random.Next(1, 200));
            records.AddRange(ClientHelloBuilder.WrapInRecords(handshake.AsSpan(offset, size), size, 0x0303));
            offset += size;
        }

        return [.. records];
    }

    private static List<CorpusEntry> BuildCorpus()
    {
        var builders = new List<ClientHelloBuilder>
        {
            new() { ServerName = "example.com", ApplicationProtocols = ["h2", "http/1.1"] },
            new() { ServerName = new string('x', 255), SupportedVersions = [0x0304] },
            new() { IncludeExtensionsBlock = false },
            new() { IncludeTypicalExtensions = false, SupportedVersions = null },
            new() { ServerName = "pad.example", PadHandshakeTo = 600 },
            new() { ServerName = "big.example", ApplicationProtocols = ["h2"], PadHandshakeTo = 2500 },
        };
        var grease = new ClientHelloBuilder { ServerName = "grease.example", ApplicationProtocols = ["h3"] };
        grease.ExtraExtensions.Add((0x0A0A, []));
        grease.ExtraExtensions.Add((0xFE0D, [1, 2, 3, 4]));
        builders.Add(grease);

        var handshakes = builders.Select(builder => builder.BuildHandshake()).ToList();
        foreach (var real in new[] { RealClientHello.Capture("real.example", ["h2", "http/1.1"]), RealClientHello.Capture(null) })
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(real.AsSpan(3));
            handshakes.Add(real.AsSpan(5, length).ToArray());
        }

        return handshakes.Select(handshake => new CorpusEntry(handshake, FindLengthFields(handshake))).ToList();
    }

    /// <summary>Locates every length field of a well-formed handshake message, so mutations can target them.</summary>
    private static List<(int Offset, int Width)> FindLengthFields(byte[] handshake)
    {
        var fields = new List<(int, int)> { (1, 3) };
        var offset = 4 + 2 + 32;
        fields.Add((offset, 1));
        offset += 1 + handshake[offset];
        fields.Add((offset, 2));
        offset += 2 + BinaryPrimitives.ReadUInt16BigEndian(handshake.AsSpan(offset));
        fields.Add((offset, 1));
        offset += 1 + handshake[offset];
        if (offset == handshake.Length)
        {
            return fields;
        }

        fields.Add((offset, 2));
        offset += 2;
        while (offset < handshake.Length)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(handshake.AsSpan(offset));
            int length = BinaryPrimitives.ReadUInt16BigEndian(handshake.AsSpan(offset + 2));
            fields.Add((offset + 2, 2));
            var body = offset + 4;
            switch (type)
            {
                case 0:
                    fields.Add((body, 2));
                    for (var entry = body + 2; entry < body + length;)
                    {
                        fields.Add((entry + 1, 2));
                        entry += 3 + BinaryPrimitives.ReadUInt16BigEndian(handshake.AsSpan(entry + 1));
                    }

                    break;
                case 16:
                    fields.Add((body, 2));
                    for (var name = body + 2; name < body + length; name += 1 + handshake[name])
                    {
                        fields.Add((name, 1));
                    }

                    break;
                case 43:
                    fields.Add((body, 1));
                    break;
                default:
                    break;
            }

            offset = body + length;
        }

        return fields;
    }

    private static int ReadBigEndian(ReadOnlySpan<byte> bytes)
    {
        var value = 0;
        foreach (var b in bytes)
        {
            value = (value << 8) | b;
        }

        return value;
    }

    private static void WriteBigEndian(Span<byte> bytes, int value)
    {
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)value;
            value >>= 8;
        }
    }

    private sealed record CorpusEntry(byte[] Handshake, List<(int Offset, int Width)> LengthFields);
}
