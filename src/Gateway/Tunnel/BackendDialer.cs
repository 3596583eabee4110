using System.Net;
using System.Net.Sockets;
using Gateway.Configuration;

namespace Gateway.Tunnel;

/// <summary>Opens the TCP connection to a passthrough destination, bounded by the cluster's ConnectTimeout.</summary>
internal static class BackendDialer
{
    /// <exception cref="SocketException">Every address refused or was unreachable.</exception>
    /// <exception cref="TimeoutException">The timeout passed first.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="abort"/> fired (the client left, or shutdown).</exception>
    public static async ValueTask<Socket> ConnectAsync(HostPort destination, TimeSpan timeout, TimeProvider time, CancellationToken abort = default)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var abortRegistration = abort.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), deadline);
        try
        {
            var addresses = destination.Address is { } literal
                ? [literal]
                : await Dns.GetHostAddressesAsync(destination.Host, deadline.Token);

            SocketException? last = null;
            foreach (var address in addresses)
            {
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, destination.Port), deadline.Token);
                    return socket;
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
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !abort.IsCancellationRequested)
        {
            throw new TimeoutException($"no connection to {destination} within {Duration.Format(timeout)}");
        }
    }
}
