using Gateway.ProxyProtocol;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Edge;

internal static class EdgeServices
{
    /// <summary>The public listeners' own accept loops (on the socket engine the host registered), ahead of Kestrel's socket transport, and the TLS options Kestrel terminates with.</summary>
    public static IServiceCollection AddEdge(this IServiceCollection services)
    {
        services.AddSingleton<ProxyHeaderReceiver>();
        services.AddSingleton<ConnectionRouter>();
        services.AddSingleton<IConnectionListenerFactory, EdgeListenerFactory>();
        services.AddSingleton<TlsOptionsSelector>();
        return services;
    }
}
