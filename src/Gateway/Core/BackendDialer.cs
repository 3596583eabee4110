using System.Net;
using System.Net.Sockets;
using Gateway.Configuration;
using Gateway.Sockets;

namespace Gateway.Core;

/// <summary>Opens the TCP connection to a passthrough destination, bounded by the cluster's ConnectTimeout.</summary>
internal static class BackendDialer
{
    /// <summary>A connection for a health check, outside the edge's engine (TLS checks use .NET's streams on it).</summary>
    /// <exception cref="SocketException">Every address refused or was unreachable.</exception>
    /// <exception cref="TimeoutException">The timeout passed first.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="abort"/> fired.</exception>
    public static ValueTask<Socket> ConnectAsync(HostPort destination, TimeSpan timeout, TimeProvider time, CancellationToken abort = default) =>
        ConnectAsync(destination, timeout, time, null, static async (socket, endpoint, _, token) =>
        {
            await socket.ConnectAsync(endpoint, token);
            return socket;
        }, abort);

    /// <summary>A tunnel's backend connection, watched by the engine that watches its client, on the same loop.</summary>
    /// <exception cref="SocketException">Every address refused or was unreachable.</exception>
    /// <exception cref="TimeoutException">The timeout passed first.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="abort"/> fired (the client left, or shutdown).</exception>
    public static ValueTask<SocketIo> ConnectAsync(HostPort destination, TimeSpan timeout, TimeProvider time, SocketIo client, CancellationToken abort) =>
        ConnectAsync(destination, timeout, time, client, static (socket, endpoint, client, token) => client!.Engine.ConnectAsync(socket, endpoint, client, token), abort);

    /// <summary>A web backend's connection for HttpClient, watched by <paramref name="engine"/> in affinity group <paramref name="group"/>.</summary>
    /// <param name="cancellation">Carries the HTTP client's ConnectTimeout.</param>
    /// <exception cref="SocketException">Every address refused or was unreachable.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired.</exception>
    public static async ValueTask<SocketIo> ConnectAsync(DnsEndPoint endpoint, SocketEngine engine, int group, CancellationToken cancellation)
    {
        var addresses = IPAddress.TryParse(endpoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellation);
        return await ConnectFirstAsync(addresses, endpoint.Port, (Engine: engine, Group: group),
            static (socket, address, state, token) => state.Engine.ConnectAsync(socket, address, state.Group, token), cancellation);
    }

    private static async ValueTask<T> ConnectAsync<T>(HostPort destination, TimeSpan timeout, TimeProvider time, SocketIo? client,
        Func<Socket, IPEndPoint, SocketIo?, CancellationToken, ValueTask<T>> connect, CancellationToken abort)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var abortRegistration = abort.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), deadline);
        try
        {
            var addresses = destination.Address is { } literal
                ? [literal]
                : await Dns.GetHostAddressesAsync(destination.Host, deadline.Token);
            return await ConnectFirstAsync(addresses, destination.Port, client, connect, deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !abort.IsCancellationRequested)
        {
            throw new TimeoutException($"no connection to {destination} within {Duration.Format(timeout)}");
        }
    }

    /// <summary>Tries the addresses in order; the first that answers wins.</summary>
    private static async ValueTask<T> ConnectFirstAsync<TState, T>(IPAddress[] addresses, int port, TState state,
        Func<Socket, IPEndPoint, TState, CancellationToken, ValueTask<T>> connect, CancellationToken cancellation)
    {
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                return await connect(socket, new IPEndPoint(address, port), state, cancellation);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }
}
