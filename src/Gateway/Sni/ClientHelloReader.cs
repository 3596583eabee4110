using System.Net.Sockets;
using Gateway.Core;

namespace Gateway.Sni;

/// <summary>
/// Reads a connection until its ClientHello is complete. The bytes stay in the connection's received buffer, so
/// whichever side takes the connection next (the backend of a tunnel, or TLS termination) gets them first.
/// </summary>
internal static class ClientHelloReader
{
    public static async ValueTask<(HelloReadEnd End, ClientHelloResult Result)> ReceiveAsync(ClientConnection client, int maxBytes, CancellationToken timeout)
    {
        while (true)
        {
            // Whatever came before (behind a PROXY header) is parsed first. Each byte is read once into one buffer,
            // so a client sending one byte at a time costs a parse per read, never a copy of all it sent.
            var result = ClientHelloParser.Parse(client.Received.Span, maxBytes);
            if (result.Status != ClientHelloStatus.NeedMoreData)
            {
                return (HelloReadEnd.Parsed, result);
            }

            try
            {
                if (await client.ReceiveAsync(maxBytes, timeout) == 0)
                {
                    return (HelloReadEnd.ClosedEarly, result);
                }
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                return (HelloReadEnd.TimedOut, default);
            }
            catch (SocketException)
            {
                return (HelloReadEnd.ClosedEarly, default);
            }
        }
    }
}
