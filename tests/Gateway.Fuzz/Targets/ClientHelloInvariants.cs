using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Gateway.Configuration;
using Gateway.Sni;

namespace Gateway.Fuzz.Targets;

/// <summary>
/// What every <see cref="ClientHelloParser.Parse"/> verdict must satisfy, checked on one input under several byte caps,
/// on prefixes of it (the router re-parses as bytes arrive and acts on the first verdict that is not NeedMoreData), and
/// on the same handshake message framed into other records. Throws <see cref="InvariantViolationException"/>; an
/// exception from the parser itself is left to escape as it is.
/// </summary>
internal static class ClientHelloInvariants
{
    // ClientHello:MaxBytes as configured by default; the smallest and largest values the config accepts.
    private const int DefaultCap = 16 * 1024;
    private const int SmallestCap = 512;
    private const int LargestCap = (1 << 16) + (5 * 5);

    // Record header, handshake header and the smallest possible ClientHello body.
    private const int MinRecordBytes = 5 + 4 + 41;
    private const int MaxFragmentLength = 1 << 14;

    // Framing a hello one byte per record multiplies its size by six, so only small ones are.
    private const int MaxMessageForTinyRecords = 4096;

    // Prefix lengths checked: all up to DensePrefixes, a spread of SpreadPrefixes more, and the bytes around the
    // headers and ends of the first BoundaryRecords records (where a verdict is most likely to change).
    private const int DensePrefixes = 64;
    private const int SpreadPrefixes = 32;
    private const int BoundaryRecords = 16;

    private static readonly int[] ConfigCaps = [DefaultCap, SmallestCap, LargestCap, int.MaxValue];

    private static readonly int[] Reframings = [MaxFragmentLength, 1, 200];

    private static readonly HashSet<string> KnownReasons = typeof(ClientHelloReasons)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(field => field.IsLiteral && field.FieldType == typeof(string))
        .Select(field => (string)field.GetRawConstantValue()!)
        .ToHashSet(StringComparer.Ordinal);

    private static readonly HashSet<string> NotTlsReasons = new(StringComparer.Ordinal)
    {
        ClientHelloReasons.NotHandshakeRecord,
        ClientHelloReasons.SslV2Hello,
        ClientHelloReasons.RecordVersion,
    };

    private static readonly HashSet<string> TooLargeReasons = new(StringComparer.Ordinal)
    {
        ClientHelloReasons.HandshakeLengthTooLarge,
        ClientHelloReasons.DeclaredSizeOverCap,
        ClientHelloReasons.IncompleteAtCap,
    };

    public static void Check(ReadOnlySpan<byte> data)
    {
        var unlimited = ParseChecked(data, int.MaxValue);

        foreach (var cap in ConfigCaps)
        {
            CheckCap(data, cap, unlimited);
        }

        // Caps right at and just below where the input ends and where the hello ends.
        CheckCap(data, data.Length, unlimited);
        CheckCap(data, data.Length - 1, unlimited);
        if (unlimited.Hello is { } hello)
        {
            CheckCap(data, hello.RecordBytes, unlimited);
            CheckCap(data, hello.RecordBytes - 1, unlimited);
        }

        CheckPrefixes(data, DefaultCap);
        CheckReframed(data, unlimited);
    }

    /// <summary>Parses twice (the parser is pure), checks the verdict's shape, and that bytes past the hello do not matter.</summary>
    private static ClientHelloResult ParseChecked(ReadOnlySpan<byte> data, int cap)
    {
        var result = ClientHelloParser.Parse(data, cap);
        var again = ClientHelloParser.Parse(data, cap);
        if (!Same(result, again, compareRecordBytes: true))
        {
            Fail($"cap {cap}: parsing the same input twice gave {Describe(result)}, then {Describe(again)}");
        }

        CheckShape(data.Length, cap, result, $"cap {cap}");

        if (result.Hello is { } hello && hello.RecordBytes < data.Length)
        {
            var trimmed = ClientHelloParser.Parse(data[..hello.RecordBytes], cap);
            if (!Same(result, trimmed, compareRecordBytes: true))
            {
                Fail($"cap {cap}: {Describe(result)}, but only its first {hello.RecordBytes} bytes give {Describe(trimmed)}");
            }
        }

        return result;
    }

    private static void CheckShape(int length, int cap, ClientHelloResult result, string context)
    {
        switch (result.Status)
        {
            case ClientHelloStatus.Complete:
                if (result.Reason is not null || result.Hello is null)
                {
                    Fail($"{context}: Complete needs a hello and no reason: {Describe(result)}");
                }

                CheckHello(length, cap, result.Hello, context);
                break;
            case ClientHelloStatus.NeedMoreData:
                if (result.Reason is not null || result.Hello is not null)
                {
                    Fail($"{context}: NeedMoreData carries a reason or a hello: {Describe(result)}");
                }

                // At the cap the verdict must be final, or the router would wait for bytes it may not read.
                if (length > 0 && length >= cap)
                {
                    Fail($"{context}: NeedMoreData with {length} bytes already at or past the cap");
                }

                break;
            case ClientHelloStatus.NotTls:
                CheckRejection(result, NotTlsReasons, context);
                break;
            case ClientHelloStatus.TooLarge:
                CheckRejection(result, TooLargeReasons, context);
                break;
            case ClientHelloStatus.Invalid:
                CheckRejection(result, KnownReasons, context);
                if (TooLargeReasons.Contains(result.Reason!) || result.Reason is ClientHelloReasons.NotHandshakeRecord or ClientHelloReasons.SslV2Hello)
                {
                    Fail($"{context}: Invalid with a reason of another status: {Describe(result)}");
                }

                break;
            default:
                Fail($"{context}: undefined status {(int)result.Status}");
                break;
        }
    }

    private static void CheckHello(int length, int cap, ClientHelloInfo hello, string context)
    {
        if (hello.RecordBytes < MinRecordBytes || hello.RecordBytes > length || hello.RecordBytes > cap)
        {
            Fail($"{context}: RecordBytes {hello.RecordBytes} outside [{MinRecordBytes}, min(input {length}, cap)]");
        }

        if (hello.ServerName is { } name)
        {
            if (name.Length is < 1 or > 255)
            {
                Fail($"{context}: ServerName is {name.Length} chars long");
            }

            foreach (var c in name)
            {
                if (c is < '!' or > '~')
                {
                    Fail($"{context}: ServerName has char U+{(int)c:X4}, not printable ASCII");
                }
            }

            // What is routed by name is a host name the host tables read one way only, never an address.
            if (HostNames.Classify(name, out _) != HostNameKind.Name)
            {
                Fail($"{context}: ServerName '{name}' is not a host name");
            }
        }

        foreach (var protocol in hello.ApplicationProtocols)
        {
            if (protocol is null || protocol.Length is < 1 or > 255)
            {
                Fail($"{context}: an ALPN protocol is null, empty or over 255 chars");
            }
        }

        // supported_versions is a vector of 2-byte entries with a one-byte length: at most 127 of them.
        if (hello.SupportedVersions.Count > 127)
        {
            Fail($"{context}: {hello.SupportedVersions.Count} supported versions");
        }
    }

    private static void CheckRejection(ClientHelloResult result, HashSet<string> reasons, string context)
    {
        if (result.Hello is not null || result.Reason is null || !reasons.Contains(result.Reason))
        {
            Fail($"{context}: {result.Status} needs no hello and one of its documented reasons: {Describe(result)}");
        }
    }

    /// <summary>A smaller cap may only turn a verdict into TooLarge; a hello that fits must parse the same.</summary>
    private static void CheckCap(ReadOnlySpan<byte> data, int cap, ClientHelloResult unlimited)
    {
        if (cap < 1)
        {
            return;
        }

        var capped = ParseChecked(data, cap);
        var fits = unlimited.Hello is not { } hello || hello.RecordBytes <= cap;
        var allowed = unlimited.Status switch
        {
            // The first record's header decides NotTls before the cap is looked at.
            ClientHelloStatus.NotTls => Same(capped, unlimited, compareRecordBytes: true),
            ClientHelloStatus.Complete when fits => Same(capped, unlimited, compareRecordBytes: true),
            ClientHelloStatus.Complete => capped.Status == ClientHelloStatus.TooLarge,
            _ => capped.Status == ClientHelloStatus.TooLarge || Same(capped, unlimited, compareRecordBytes: true),
        };
        if (!allowed)
        {
            Fail($"cap {cap}: {Describe(capped)}, but with no cap {Describe(unlimited)}");
        }
    }

    /// <summary>A verdict on a prefix must agree with the verdict on the whole input, since the router stops at it.</summary>
    private static void CheckPrefixes(ReadOnlySpan<byte> data, int cap)
    {
        var full = ClientHelloParser.Parse(data, cap);
        var helloEnd = full.Hello?.RecordBytes ?? int.MaxValue;
        foreach (var length in PrefixLengths(data, full))
        {
            var partial = ClientHelloParser.Parse(data[..length], cap);
            var context = $"cap {cap}, first {length} of {data.Length} bytes";
            CheckShape(length, cap, partial, context);
            var consistent = partial.Status switch
            {
                ClientHelloStatus.Complete or ClientHelloStatus.Invalid => Same(partial, full, compareRecordBytes: true),
                ClientHelloStatus.NotTls => full.Status == ClientHelloStatus.NotTls,
                ClientHelloStatus.TooLarge => full.Status is ClientHelloStatus.TooLarge or ClientHelloStatus.Invalid,
                _ => true,
            };
            if (!consistent)
            {
                Fail($"{context}: {Describe(partial)}, but the whole input gives {Describe(full)}");
            }

            if (length < helloEnd && full.Status == ClientHelloStatus.Complete && partial.Status != ClientHelloStatus.NeedMoreData)
            {
                Fail($"{context}: {Describe(partial)} before the hello ends at {helloEnd}; the whole input gives {Describe(full)}");
            }
        }
    }

    private static SortedSet<int> PrefixLengths(ReadOnlySpan<byte> data, ClientHelloResult full)
    {
        var lengths = new SortedSet<int>();
        var inputLength = data.Length;
        void Add(int length)
        {
            if (length >= 0 && length < inputLength)
            {
                lengths.Add(length);
            }
        }

        for (var length = 0; length <= DensePrefixes; length++)
        {
            Add(length);
        }

        for (var i = 1; i <= SpreadPrefixes; i++)
        {
            Add((int)((long)data.Length * i / (SpreadPrefixes + 1)));
        }

        if (full.Hello is { } hello)
        {
            Add(hello.RecordBytes - 1);
            Add(hello.RecordBytes);
        }

        var offset = 0;
        for (var record = 0; record < BoundaryRecords && data.Length - offset >= 5; record++)
        {
            // Inside the record header and the handshake header it may start.
            for (var i = 1; i <= 9; i++)
            {
                Add(offset + i);
            }

            var end = offset + 5 + BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 3)..]);
            Add(end - 1);
            Add(end);
            offset = end;
        }

        return lengths;
    }

    /// <summary>Once every record of the hello is in, how the message was split into records must not matter.</summary>
    private static void CheckReframed(ReadOnlySpan<byte> data, ClientHelloResult original)
    {
        if (HandshakeFraming.Locate(data, int.MaxValue, out var layout) is not null)
        {
            return;
        }

        var message = Payload(data[..layout.RecordBytes]);
        if (message.Length != layout.MessageLength)
        {
            Fail($"records of {layout.RecordBytes} bytes carry {message.Length} bytes, but the layout says {layout.MessageLength}");
        }

        var recordVersion = BinaryPrimitives.ReadUInt16BigEndian(data[1..]);
        foreach (var fragment in Reframings)
        {
            if (fragment == 1 && message.Length > MaxMessageForTinyRecords)
            {
                continue;
            }

            var records = Frame(message, fragment, recordVersion);
            var reframed = ClientHelloParser.Parse(records, int.MaxValue);
            if (!Same(reframed, original, compareRecordBytes: false) || (reframed.Hello is { } hello && hello.RecordBytes != records.Length))
            {
                Fail($"the hello in records of up to {fragment} bytes gives {Describe(reframed)}; as received, {Describe(original)}");
            }
        }
    }

    /// <summary>The fragments of consecutive well-formed records, concatenated.</summary>
    private static byte[] Payload(ReadOnlySpan<byte> records)
    {
        var payload = new List<byte>(records.Length);
        while (records.Length >= 5)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(records[3..]);
            if (records.Length - 5 < length)
            {
                break;
            }

            foreach (var b in records.Slice(5, length))
            {
                payload.Add(b);
            }

            records = records[(5 + length)..];
        }

        return [.. payload];
    }

    private static byte[] Frame(byte[] message, int fragment, ushort recordVersion)
    {
        var records = new byte[message.Length + (5 * ((message.Length + fragment - 1) / fragment))];
        var written = 0;
        for (var offset = 0; offset < message.Length; offset += fragment)
        {
            var length = Math.Min(fragment, message.Length - offset);
            records[written] = 22;
            BinaryPrimitives.WriteUInt16BigEndian(records.AsSpan(written + 1), recordVersion);
            BinaryPrimitives.WriteUInt16BigEndian(records.AsSpan(written + 3), (ushort)length);
            message.AsSpan(offset, length).CopyTo(records.AsSpan(written + 5));
            written += 5 + length;
        }

        return records;
    }

    private static bool Same(ClientHelloResult a, ClientHelloResult b, bool compareRecordBytes)
    {
        if (a.Status != b.Status || !string.Equals(a.Reason, b.Reason, StringComparison.Ordinal))
        {
            return false;
        }

        if (a.Hello is null || b.Hello is null)
        {
            return a.Hello is null && b.Hello is null;
        }

        return string.Equals(a.Hello.ServerName, b.Hello.ServerName, StringComparison.Ordinal)
            && a.Hello.ApplicationProtocols.SequenceEqual(b.Hello.ApplicationProtocols, StringComparer.Ordinal)
            && a.Hello.SupportedVersions.SequenceEqual(b.Hello.SupportedVersions)
            && a.Hello.LegacyVersion == b.Hello.LegacyVersion
            && (!compareRecordBytes || a.Hello.RecordBytes == b.Hello.RecordBytes);
    }

    private static string Describe(ClientHelloResult result) => result.Hello is not { } hello
        ? $"{result.Status} ({result.Reason ?? "no reason"})"
        : $"{result.Status} (sni {hello.ServerName ?? "none"}, alpn [{string.Join(',', hello.ApplicationProtocols)}], " +
          $"versions [{string.Join(',', hello.SupportedVersions.Select(v => $"{v:X4}"))}], legacy {hello.LegacyVersion:X4}, " +
          $"{hello.RecordBytes} record bytes)";

    [DoesNotReturn]
    private static void Fail(string message) => throw new InvariantViolationException("ClientHello invariant: " + message);
}
