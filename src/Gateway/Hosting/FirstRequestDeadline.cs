using Gateway.Diagnostics;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Hosting;

/// <summary>
/// Bounds the wait for a connection's first request by <c>Limits:Http:RequestHeadersTimeout</c>, as HAProxy's
/// <c>timeout http-request</c> does. Kestrel alone waits for it with the keep-alive timeout: HTTP/1.1 begins every
/// request, the first one too, as if a response had just ended and starts the headers timer only at the first byte,
/// and HTTP/2 waits for streams (after its preface and SETTINGS as well) on the same keep-alive timer. A client that
/// handshakes and sends nothing would hold the connection for <c>KeepAliveTimeout</c>.
/// </summary>
/// <remarks>
/// The clock starts when the connection reaches HTTP: after the TLS handshake on the HTTPS listener (the ClientHello
/// and the handshake have their own bounds), at accept on the others. It stops when the first request head has
/// reached the application (<see cref="FirstRequestMiddleware"/>); from there on Kestrel's timeouts apply, so
/// keep-alive, long requests, upgrades and WebSockets are untouched.
/// </remarks>
internal sealed partial class FirstRequestDeadline
{
    /// <summary>The connection item holding the armed deadline, until the first request stops it.</summary>
    internal static readonly object Item = new();

    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public FirstRequestDeadline(TimeSpan timeout, TimeProvider time, ILogger<FirstRequestDeadline> logger)
    {
        _timeout = timeout;
        _time = time;
        _logger = logger;
    }

    /// <summary>Connection middleware: arms the deadline, then runs the rest of the connection.</summary>
    public ConnectionDelegate Apply(ConnectionDelegate next) => async connection =>
    {
        using var pending = new Pending(connection, this);
        connection.Items[Item] = pending;
        await next(connection);
    };

    /// <summary>Stops the deadline of the connection <paramref name="items"/> belong to, if it is still armed.</summary>
    public static void Stop(IDictionary<object, object?> items)
    {
        // Read only: HTTP/2 streams of one connection run at once, and a dictionary is safe for concurrent reads alone.
        if (items.TryGetValue(Item, out var pending))
        {
            ((Pending)pending!).Stop();
        }
    }

    private sealed class Pending : IDisposable
    {
        private const int Armed = 0;
        private const int Stopped = 1;
        private const int Fired = 2;

        private readonly ConnectionContext _connection;
        private readonly FirstRequestDeadline _owner;
        private readonly ITimer _timer;
        private int _state;

        public Pending(ConnectionContext connection, FirstRequestDeadline owner)
        {
            _connection = connection;
            _owner = owner;
            _timer = owner._time.CreateTimer(static state => ((Pending)state!).Fire(), this, owner._timeout, Timeout.InfiniteTimeSpan);
        }

        public void Stop()
        {
            if (Volatile.Read(ref _state) == Armed && Interlocked.CompareExchange(ref _state, Stopped, Armed) == Armed)
            {
                _timer.Dispose();
            }
        }

        public void Dispose()
        {
            Interlocked.CompareExchange(ref _state, Stopped, Armed);
            _timer.Dispose();
        }

        private void Fire()
        {
            if (Interlocked.CompareExchange(ref _state, Fired, Armed) != Armed)
            {
                return; // the first request arrived (or the connection ended) as the timer went off
            }

            Log.NoFirstRequest(_owner._logger, _connection.ConnectionId, _connection.RemoteEndPoint, _owner._timeout);
            _connection.Abort(new ConnectionAbortedException("No request head within Limits:Http:RequestHeadersTimeout."));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogEvents.NoFirstRequest, LogLevel.Debug, "Connection {ConnectionId} from {RemoteEndPoint} closed: no request within {Timeout}", EventName = "NoFirstRequest")]
        public static partial void NoFirstRequest(ILogger logger, string connectionId, System.Net.EndPoint? remoteEndPoint, TimeSpan timeout);
    }
}
