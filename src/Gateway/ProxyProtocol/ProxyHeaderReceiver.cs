using System.Net;
using System.Net.Sockets;
using Gateway.Configuration;
using Gateway.Core;
using Gateway.Diagnostics;
using Gateway.Metrics;
using Gateway.Sni;

namespace Gateway.ProxyProtocol;

/// <summary>
/// The first step on every public listener: a connection from Gateway:ProxyProtocol:TrustedNetworks (a load balancer in
/// front) must start with a PROXY v1 or v2 header, which is consumed and replaces the connection's addresses - so limits,
/// routing, affinity, access rules and logs see the real client. Connections from anywhere else are passed on
/// untouched: a header from them is just bytes that are not TLS or HTTP.
/// </summary>
internal sealed partial class ProxyHeaderReceiver(GenerationStore generations, GatewayMetrics metrics, TimeProvider time, ILogger<ProxyHeaderReceiver> logger)
{
    /// <returns>False when the connection must be closed (counted and logged here).</returns>
    public async ValueTask<bool> AcceptAsync(ClientConnection client)
    {
        var generation = generations.Current;
        var trusted = generation.Get<ProxyProtocolConfig>().TrustedNetworks;
        if (trusted.Count == 0 || !Networks.Contains(trusted, client.RemoteEndPoint?.Address))
        {
            return true;
        }

        var hello = generation.Get<ClientHelloConfig>();
        ProxyHeader header;
        using (var timeout = new CancellationTokenSource(client.TimeLeft(hello.Timeout, time), time))
        using (client.Stopping.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timeout))
        {
            // Room for the ClientHello behind the header, so the router reads on into the same buffer.
            header = await ReceiveAsync(client, ProxyHeaderParser.MaxV2Length + hello.MaxBytes, timeout.Token);
        }

        if (header.Status != ProxyHeaderStatus.Complete)
        {
            metrics.ConnectionRouted(ConnectionOutcomes.BadProxyHeader);
            Log.Refused(logger, client.RemoteEndPoint, header.Error ?? "no complete PROXY header in time");
            return false;
        }

        client.Consume(header.Length);
        if (header.Source is not null)
        {
            client.RemoteEndPoint = header.Source;
            client.LocalEndPoint = header.Destination;
            client.Proxied = true;
        }

        return true;
    }

    private static async ValueTask<ProxyHeader> ReceiveAsync(ClientConnection client, int capacity, CancellationToken timeout)
    {
        while (true)
        {
            var received = client.Received.Span;
            var header = ProxyHeaderParser.Parse(received[..Math.Min(received.Length, ProxyHeaderParser.MaxV2Length)]);
            if (header.Status != ProxyHeaderStatus.NeedMoreData)
            {
                return header;
            }

            try
            {
                if (await client.ReceiveAsync(capacity, timeout) == 0)
                {
                    return ProxyHeader.Invalid("closed before the PROXY header was complete");
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                return ProxyHeader.Invalid("no complete PROXY header in time");
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogEvents.ProxyHeaderRefused, LogLevel.Debug, "Connection from trusted {RemoteEndPoint} closed: {Reason}", EventName = "ProxyHeaderRefused")]
        public static partial void Refused(ILogger logger, EndPoint? remoteEndPoint, string reason);
    }
}
