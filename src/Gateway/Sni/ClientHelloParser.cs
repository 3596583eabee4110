using System.Buffers;

namespace Gateway.Sni;

/// <summary>
/// Decides from the first bytes of a connection whether it carries a TLS ClientHello, and extracts what routing needs.
/// </summary>
/// <remarks>
/// Decisions on the points the RFCs leave to the implementation:
/// <list type="bullet">
/// <item>A first record whose version major byte is not 3 (or minor above 4) is NotTls; on a later record it is Invalid.</item>
/// <item>A handshake record that carries bytes past the end of the ClientHello is Invalid: a client sends nothing else
/// until the server answers. It is detected from the record header, before those bytes arrive.</item>
/// <item>A declared handshake length below the smallest possible ClientHello (41 body bytes) is Invalid at once.</item>
/// <item>An empty extensions block (length 0) is accepted, as RFC 5246 7.4.1.2 allows.</item>
/// <item>Bytes after the last record carrying the hello are ignored; <see cref="ClientHelloInfo.RecordBytes"/> says where it ends.</item>
/// </list>
/// </remarks>
internal static class ClientHelloParser
{
    // Reassembling at most this much on the stack covers nearly every fragmented hello without touching the pool.
    private const int StackReassemblyLimit = 1024;

    /// <summary>Parses as much as <paramref name="data"/> allows. Pure: no I/O, no state, never throws on any input.</summary>
    /// <param name="data">The bytes received so far, from the first byte the client sent; may run past the hello.</param>
    /// <param name="maxBytes">The most input bytes (record headers included) the hello may occupy.</param>
    public static ClientHelloResult Parse(ReadOnlySpan<byte> data, int maxBytes)
    {
        if (data.IsEmpty)
        {
            return new ClientHelloResult(ClientHelloStatus.NeedMoreData);
        }

        if (HandshakeFraming.Locate(data, maxBytes, out var layout) is { } verdict)
        {
            return verdict;
        }

        if (layout.RecordCount == 1)
        {
            var message = data.Slice(HandshakeFraming.RecordHeaderLength, layout.MessageLength);
            return ClientHelloMessageParser.Parse(message[HandshakeFraming.HandshakeHeaderLength..], layout.RecordBytes);
        }

        return ParseFragmented(data[..layout.RecordBytes], layout);
    }

    private static ClientHelloResult ParseFragmented(ReadOnlySpan<byte> records, HandshakeLayout layout)
    {
        byte[]? rented = null;
        var buffer = layout.MessageLength <= StackReassemblyLimit
            ? stackalloc byte[StackReassemblyLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(layout.MessageLength));
        try
        {
            var message = buffer[..layout.MessageLength];
            if (!HandshakeFraming.Reassemble(records, message))
            {
                // Locate has already validated every header, so this only guards against the two drifting apart.
                return new ClientHelloResult(ClientHelloStatus.Invalid, Reason: ClientHelloReasons.BytesAfterClientHello);
            }

            return ClientHelloMessageParser.Parse(message[HandshakeFraming.HandshakeHeaderLength..], layout.RecordBytes);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
