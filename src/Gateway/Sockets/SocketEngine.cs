using System.Net;
using System.Net.Sockets;

namespace Gateway.Sockets;

/// <summary>
/// Watches the edge's sockets (clients being routed, tunnels and their backends) for readiness. On Linux it is an epoll
/// loop of the gateway's own, one per core; elsewhere .NET's sockets (chosen by <c>Core.SocketEngines</c>).
/// </summary>
internal abstract class SocketEngine
{
    private readonly Lock _faultLock = new();
    private Action<Exception>[] _faultReporters = [];

    /// <summary>Makes <paramref name="socket"/> non-blocking and watches it.</summary>
    /// <param name="near">A socket whose thread this one joins, so both ends of a tunnel run on one thread.</param>
    public abstract SocketIo Register(Socket socket, SocketIo? near = null);

    /// <summary>Connects <paramref name="socket"/> and watches it.</summary>
    /// <param name="near">A socket whose thread this one joins, so both ends of a tunnel run on one thread.</param>
    /// <exception cref="SocketException">The connection was refused or failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired first.</exception>
    public abstract ValueTask<SocketIo> ConnectAsync(Socket socket, EndPoint endpoint, SocketIo? near, CancellationToken cancellation);

    /// <summary>Connects <paramref name="socket"/> and watches it in affinity group <paramref name="group"/> (of <see cref="AffinityGroups"/>).</summary>
    /// <exception cref="SocketException">The connection was refused or failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired first.</exception>
    public abstract ValueTask<SocketIo> ConnectAsync(Socket socket, EndPoint endpoint, int group, CancellationToken cancellation);

    /// <summary>
    /// How many affinity groups the engine's sockets fall into: the sockets of one group have their continuations run on
    /// one thread, so state kept per group (a pool of buffers, of backend connections) is touched by that thread alone.
    /// An epoll engine has a group per loop; .NET's sockets run anywhere on the thread pool, one group.
    /// </summary>
    public virtual int AffinityGroups => 1;

    /// <summary>The group whose thread runs the caller, so what it opens stays on its thread; on another thread, any.</summary>
    public virtual int CurrentAffinityGroup => 0;

    /// <summary>
    /// Sends an exception that a continuation threw into the engine's own threads to <paramref name="report"/> until the
    /// returned handle is disposed. Such an exception is a bug of that continuation: the engine goes on serving its other
    /// sockets. .NET's engine reports none (its continuations run on the thread pool, which ends the process instead).
    /// </summary>
    public IDisposable OnFault(Action<Exception> report)
    {
        lock (_faultLock)
        {
            _faultReporters = [.. _faultReporters, report];
        }

        return new FaultSubscription(this, report);
    }

    /// <summary>To everyone who asked through <see cref="OnFault"/>; a reporter that throws is skipped.</summary>
    protected void ReportFault(Exception exception)
    {
        foreach (var report in Volatile.Read(ref _faultReporters))
        {
            try
            {
                report(exception);
            }
            catch (Exception)
            {
                // A reporter's own failure has nowhere left to go; the others still hear of the fault.
            }
        }
    }

    private sealed class FaultSubscription(SocketEngine engine, Action<Exception> report) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 1)
            {
                return;
            }

            lock (engine._faultLock)
            {
                var reporters = engine._faultReporters.ToList();
                reporters.Remove(report);
                engine._faultReporters = [.. reporters];
            }
        }
    }
}
