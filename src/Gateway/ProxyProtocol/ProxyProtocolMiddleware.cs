using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Gateway.Configuration;
using Gateway.Metrics;
using Microsoft.AspNetCore.Connections;

namespace Gateway.ProxyProtocol;

/// <summary>
/// The first connection middleware on the public listeners: a connection from Gateway:ProxyProtocol:TrustedNetworks
/// (a load balancer in front) must start with a PROXY v1 or v2 header, which is consumed and replaces the
/// connection's addresses - so limits, routing, affinity, access rules and logs see the real client. Connections from
/// anywhere else are passed on untouched: a header from them is just bytes that are not TLS or HTTP.
/// </summary>
internal sealed partial class ProxyProtocolMiddleware(ConnectionDelegate next, GatewaySnapshotStore snapshots, GatewayMetrics metrics, TimeProvider time, ILogger<ProxyProtocolMiddleware> logger)
{
    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        var config = snapshots.Current.Config;
        var peer = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        if (config.ProxyProtocol.TrustedNetworks.Count == 0 || !Networks.Contains(config.ProxyProtocol.TrustedNetworks, peer))
        {
            await next(connection);
            return;
        }

        ProxyHeader header;
        using (var timeout = new CancellationTokenSource(config.ClientHello.Timeout, time))
        {
            header = await ReadAsync(connection, timeout.Token);
        }

        if (header.Status != ProxyHeaderStatus.Complete)
        {
            metrics.ConnectionRouted(ConnectionOutcomes.BadProxyHeader);
            Log.Refused(logger, connection.ConnectionId, connection.RemoteEndPoint, header.Error ?? "no complete PROXY header in time");
            return;
        }

        if (header.Source is not null)
        {
            connection.RemoteEndPoint = header.Source;
            connection.LocalEndPoint = header.Destination;
        }

        await next(connection);
    }

    /// <summary>Reads and consumes the header; the bytes after it stay in the pipe for the next stage.</summary>
    private static async Task<ProxyHeader> ReadAsync(ConnectionContext connection, CancellationToken timeout)
    {
        var input = connection.Transport.Input;
        while (true)
        {
            ReadResult read;
            try
            {
                read = await input.ReadAsync(timeout);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ConnectionAbortedException or ConnectionResetException)
            {
                return ProxyHeader.Invalid("no complete PROXY header in time");
            }

            var buffer = read.Buffer;
            var window = buffer.Slice(0, Math.Min(buffer.Length, ProxyHeaderParser.MaxV2Length));
            var header = window.IsSingleSegment ? ProxyHeaderParser.Parse(window.FirstSpan) : ProxyHeaderParser.Parse(window.ToArray());
            switch (header.Status)
            {
                case ProxyHeaderStatus.Complete:
                    input.AdvanceTo(buffer.GetPosition(header.Length));
                    return header;
                case ProxyHeaderStatus.Invalid:
                    input.AdvanceTo(buffer.Start);
                    return header;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted || read.IsCanceled)
            {
                return ProxyHeader.Invalid("closed before the PROXY header was complete");
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Connection {ConnectionId} from trusted {RemoteEndPoint} closed: {Reason}", EventName = "ProxyHeaderRefused")]
        public static partial void Refused(ILogger logger, string connectionId, EndPoint? remoteEndPoint, string reason);
    }
}
