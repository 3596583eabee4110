using System.Buffers.Binary;

namespace Gateway.Sni;

/// <summary>
/// The TLS record layer as far as a first flight needs it (RFC 8446 5.1): finds the handshake records that carry the
/// ClientHello and gives verdicts from headers alone, so the caller never waits for bytes it would reject anyway.
/// </summary>
internal static class HandshakeFraming
{
    public const int RecordHeaderLength = 5;
    public const int HandshakeHeaderLength = 4;

    private const byte HandshakeContentType = 22;
    private const byte ClientHelloHandshakeType = 1;
    private const byte SslV2ClientHelloType = 1;
    private const int MaxFragmentLength = 1 << 14;
    private const int MaxHandshakeBodyLength = 1 << 16;

    // legacy_version, random, an empty session id, one cipher suite, one compression method: anything shorter can
    // be rejected from its header instead of waiting for bytes that cannot make it valid.
    private const int MinClientHelloBodyLength = 2 + 32 + 1 + (2 + 2) + (1 + 1);

    /// <summary>
    /// Walks records from offset 0. Returns null with <paramref name="layout"/> filled once the whole hello is present,
    /// otherwise the verdict (NeedMoreData, NotTls, Invalid or TooLarge).
    /// </summary>
    public static ClientHelloResult? Locate(ReadOnlySpan<byte> data, int maxBytes, out HandshakeLayout layout)
    {
        layout = default;
        var offset = 0;
        var recordCount = 0;
        var fragmentTotal = 0;
        var messageLength = -1;

        // The 4-byte handshake header may itself be split across records, so it is accumulated byte by byte.
        var headerBytes = 0;
        var header = 0u;

        while (messageLength < 0 || fragmentTotal < messageLength)
        {
            var remaining = data[offset..];
            if (CheckRecordHeader(remaining, isFirst: recordCount == 0) is { } headerVerdict)
            {
                return headerVerdict;
            }

            if (remaining.Length < RecordHeaderLength)
            {
                return Incomplete(data.Length, maxBytes);
            }

            int fragmentLength = BinaryPrimitives.ReadUInt16BigEndian(remaining[3..]);
            var fragment = remaining[RecordHeaderLength..];
            fragment = fragment[..Math.Min(fragment.Length, fragmentLength)];
            for (var i = 0; i < fragment.Length && headerBytes < HandshakeHeaderLength; i++)
            {
                if (headerBytes == 0 && fragment[i] != ClientHelloHandshakeType)
                {
                    return Invalid(ClientHelloReasons.NotClientHello);
                }

                header = (header << 8) | fragment[i];
                headerBytes++;
            }

            recordCount++;
            fragmentTotal += fragmentLength;
            offset += RecordHeaderLength + fragmentLength;

            if (messageLength < 0 && headerBytes == HandshakeHeaderLength)
            {
                var bodyLength = (int)(header & 0xFFFFFF);
                if (bodyLength > MaxHandshakeBodyLength)
                {
                    return TooLarge(ClientHelloReasons.HandshakeLengthTooLarge);
                }

                if (bodyLength < MinClientHelloBodyLength)
                {
                    return Invalid(ClientHelloReasons.HandshakeTooShort);
                }

                messageLength = HandshakeHeaderLength + bodyLength;
            }

            // Every record seen so far must consist of hello bytes only, so its end is a lower bound on the hello's
            // footprint; once the length is known, the records still missing add at least one header plus the rest.
            var minimumFootprint = offset;
            if (messageLength >= 0)
            {
                if (fragmentTotal > messageLength)
                {
                    return Invalid(ClientHelloReasons.BytesAfterClientHello);
                }

                if (fragmentTotal < messageLength)
                {
                    minimumFootprint += RecordHeaderLength + (messageLength - fragmentTotal);
                }
            }

            if (minimumFootprint > maxBytes)
            {
                return TooLarge(ClientHelloReasons.DeclaredSizeOverCap);
            }

            if (offset > data.Length)
            {
                return Incomplete(data.Length, maxBytes);
            }
        }

        layout = new HandshakeLayout(recordCount, messageLength, offset);
        return null;
    }

    /// <summary>Copies the fragments of the records in <paramref name="records"/> into <paramref name="destination"/>.</summary>
    /// <returns>False if the records do not fill <paramref name="destination"/> exactly (cannot happen after <see cref="Locate"/>).</returns>
    public static bool Reassemble(ReadOnlySpan<byte> records, Span<byte> destination)
    {
        var written = 0;
        while (records.Length >= RecordHeaderLength)
        {
            int fragmentLength = BinaryPrimitives.ReadUInt16BigEndian(records[3..]);
            var fragment = records[RecordHeaderLength..];
            if (fragmentLength > fragment.Length || fragmentLength > destination.Length - written)
            {
                return false;
            }

            fragment[..fragmentLength].CopyTo(destination[written..]);
            written += fragmentLength;
            records = fragment[fragmentLength..];
        }

        return records.IsEmpty && written == destination.Length;
    }

    /// <summary>Checks whatever part of a record header has arrived; null means "fine so far".</summary>
    private static ClientHelloResult? CheckRecordHeader(ReadOnlySpan<byte> header, bool isFirst)
    {
        if (header.IsEmpty)
        {
            return null;
        }

        if (header[0] != HandshakeContentType)
        {
            return isFirst ? NotTls(SniffNonHandshake(header)) : Invalid(ClientHelloReasons.NonHandshakeRecord);
        }

        // Only the first record decides whether this is TLS at all; past it the client has committed to TLS.
        if ((header.Length > 1 && header[1] != 3) || (header.Length > 2 && header[2] > 4))
        {
            return isFirst ? NotTls(ClientHelloReasons.RecordVersion) : Invalid(ClientHelloReasons.RecordVersion);
        }

        if (header.Length >= RecordHeaderLength)
        {
            int length = BinaryPrimitives.ReadUInt16BigEndian(header[3..]);
            if (length == 0)
            {
                return Invalid(ClientHelloReasons.RecordLengthZero);
            }

            if (length > MaxFragmentLength)
            {
                return Invalid(ClientHelloReasons.RecordLengthTooLarge);
            }
        }

        return null;
    }

    private static string SniffNonHandshake(ReadOnlySpan<byte> data)
    {
        // An SSLv2-compatible hello has a 2-byte header with the high bit set, then msg_type 1. Until byte 2 arrives
        // the high bit alone is the best evidence; the verdict is NotTls either way.
        var isSslV2 = (data[0] & 0x80) != 0 && (data.Length < 3 || data[2] == SslV2ClientHelloType);
        return isSslV2 ? ClientHelloReasons.SslV2Hello : ClientHelloReasons.NotHandshakeRecord;
    }

    private static ClientHelloResult Incomplete(int received, int maxBytes) =>
        received >= maxBytes ? TooLarge(ClientHelloReasons.IncompleteAtCap) : new ClientHelloResult(ClientHelloStatus.NeedMoreData);

    private static ClientHelloResult NotTls(string reason) => new(ClientHelloStatus.NotTls, Reason: reason);

    private static ClientHelloResult Invalid(string reason) => new(ClientHelloStatus.Invalid, Reason: reason);

    private static ClientHelloResult TooLarge(string reason) => new(ClientHelloStatus.TooLarge, Reason: reason);
}
