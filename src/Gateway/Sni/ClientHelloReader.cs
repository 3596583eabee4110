using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Sni;

internal enum PeekEnd
{
    /// <summary>The parser reached a verdict; see the result's status.</summary>
    Parsed,

    /// <summary>The whole ClientHello did not arrive within the timeout.</summary>
    TimedOut,

    /// <summary>The client closed or reset before its ClientHello was complete.</summary>
    ClosedEarly,
}

/// <summary>
/// Peeks the ClientHello off a connection's input without consuming it: every read marks the bytes as
/// examined but not consumed, so whichever side takes the connection next reads them again from the start.
/// </summary>
internal static class ClientHelloReader
{
    public static async ValueTask<(PeekEnd End, ClientHelloResult Result)> PeekAsync(PipeReader input, int maxBytes, CancellationToken timeout)
    {
        // Holds a hello that arrives in several pipe segments, copying each byte once: re-copying the
        // whole prefix on every read would let a one-byte-at-a-time client cost quadratic work.
        byte[]? assembled = null;
        var assembledLength = 0;
        try
        {
            while (true)
            {
                ReadResult read;
                try
                {
                    read = await input.ReadAsync(timeout);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    return (PeekEnd.TimedOut, default);
                }
                catch (Exception e) when (e is IOException or ConnectionAbortedException or ConnectionResetException)
                {
                    return (PeekEnd.ClosedEarly, default);
                }

                var buffer = read.Buffer;
                ClientHelloResult result;
                if (assembled is null && buffer.IsSingleSegment)
                {
                    result = ClientHelloParser.Parse(buffer.FirstSpan, maxBytes);
                }
                else
                {
                    assembled ??= ArrayPool<byte>.Shared.Rent(maxBytes);
                    var available = (int)Math.Min(buffer.Length, maxBytes);
                    if (available > assembledLength)
                    {
                        buffer.Slice(assembledLength, available - assembledLength).CopyTo(assembled.AsSpan(assembledLength));
                        assembledLength = available;
                    }

                    result = ClientHelloParser.Parse(assembled.AsSpan(0, assembledLength), maxBytes);
                }

                if (result.Status != ClientHelloStatus.NeedMoreData)
                {
                    // Examined = start: the next reader must see these bytes as fresh, or it waits for more.
                    input.AdvanceTo(buffer.Start);
                    return (PeekEnd.Parsed, result);
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted || read.IsCanceled)
                {
                    return (PeekEnd.ClosedEarly, result);
                }
            }
        }
        finally
        {
            if (assembled is not null)
            {
                ArrayPool<byte>.Shared.Return(assembled);
            }
        }
    }
}
