using System.Net.Security;
using Microsoft.AspNetCore.Connections.Features;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Proxy.Pinning;

/// <summary>
/// One client connection's own backend connection: a handler that may hold a single connection, to the one
/// destination this client connection was first sent to, disposed (closing the backend connection) when the
/// client connection closes. Nothing else ever sends on it, so an identity the backend bound to it (NTLM)
/// is only ever this client's.
/// </summary>
internal sealed class PinnedConnection : IDisposable
{
    private static readonly object Key = new();

    private HttpMessageInvoker? _invoker;
    private bool _disposed;

    /// <summary>The cluster of <see cref="DestinationId"/>: destination ids repeat across clusters.</summary>
    public string? ClusterId { get; private set; }

    /// <summary>The destination this client connection is pinned to; null before its first request.</summary>
    public string? DestinationId { get; private set; }

    /// <summary>The state of the request's client connection, created (and tied to the connection's end) on first use.</summary>
    public static PinnedConnection? Of(HttpContext context)
    {
        if (context.Features.Get<IConnectionItemsFeature>()?.Items is not { } items)
        {
            return null;
        }

        if (items.TryGetValue(Key, out var existing))
        {
            return (PinnedConnection)existing!;
        }

        var pinned = new PinnedConnection();
        var completion = context.Features.Get<IConnectionCompleteFeature>();
        if (completion is null)
        {
            return null;
        }

        completion.OnCompleted(static state =>
        {
            ((PinnedConnection)state).Dispose();
            return Task.CompletedTask;
        }, pinned);
        items[Key] = pinned;
        return pinned;
    }

    /// <summary>
    /// The invoker for <paramref name="destinationId"/> of <paramref name="clusterId"/>; moving to another destination
    /// (or another cluster, whose handler settings differ) drops the old backend connection.
    /// </summary>
    public HttpMessageInvoker InvokerFor(string clusterId, string destinationId, HttpClientConfig? config)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_invoker is not null && ClusterId == clusterId && DestinationId == destinationId)
        {
            return _invoker;
        }

        _invoker?.Dispose();
        ClusterId = clusterId;
        DestinationId = destinationId;
        _invoker = new HttpMessageInvoker(CreateHandler(config), disposeHandler: true);
        return _invoker;
    }

    public void Dispose()
    {
        _disposed = true;
        _invoker?.Dispose();
        _invoker = null;
    }

    /// <summary>As YARP builds its handlers (no proxy, redirects, cookies or decompression), but one connection and no pooling lifetime.</summary>
    private static SocketsHttpHandler CreateHandler(HttpClientConfig? config)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = ProxyPolicies.PinnedActivityTimeout,
            ConnectTimeout = TimeSpan.FromSeconds(15),
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = false,
            ActivityHeadersPropagator = null,
        };
        if (config?.SslProtocols is { } protocols)
        {
            handler.SslOptions.EnabledSslProtocols = protocols;
        }

        if (config?.DangerousAcceptAnyServerCertificate == true)
        {
            // The operator's explicit YARP setting for this cluster (e.g. Exchange's self-signed certificate).
#pragma warning disable CA5359
            handler.SslOptions.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        handler.SslOptions.ApplicationProtocols = [SslApplicationProtocol.Http11];
        return handler;
    }
}
