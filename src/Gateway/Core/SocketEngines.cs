using Gateway.Sockets;
using Gateway.Sockets.Epoll;

namespace Gateway.Core;

/// <summary>
/// Which socket engine a gateway runs on: the best one here (epoll on Linux), or the one <c>GATEWAY_SOCKET_ENGINE</c>
/// names.
/// </summary>
internal static class SocketEngines
{
    private const string Variable = "GATEWAY_SOCKET_ENGINE";

    // One of each kind at most: an engine's threads live as long as the process, like .NET's own socket threads, and
    // every gateway of the process (tests start many) shares them.
    private static readonly Lazy<SocketEngine> SharedEpoll = new(() => new EpollEngine(Environment.ProcessorCount));
    private static readonly Lazy<SocketEngine> SharedDotNet = new(() => new DotNetSocketEngine());

    /// <summary>The process's engine of the kind <c>GATEWAY_SOCKET_ENGINE</c> names.</summary>
    /// <exception cref="SocketEngineChoiceException"><c>GATEWAY_SOCKET_ENGINE</c> names no engine this machine has.</exception>
    public static SocketEngine FromEnvironment() => Shared(Environment.GetEnvironmentVariable(Variable));

    /// <summary>The process's engine of the kind <paramref name="choice"/> names, started on first use.</summary>
    /// <param name="choice">As <c>GATEWAY_SOCKET_ENGINE</c>: unset for the best one here, <c>epoll</c> or <c>dotnet</c>.</param>
    /// <exception cref="SocketEngineChoiceException">An unknown value, or <c>epoll</c> where there is none.</exception>
    public static SocketEngine Shared(string? choice) => Kind(choice) == "epoll" ? SharedEpoll.Value : SharedDotNet.Value;

    private static string Kind(string? choice) => choice switch
    {
        null or "" when EpollEngine.IsSupported => "epoll",
        null or "" or "dotnet" => "dotnet",
        "epoll" when EpollEngine.IsSupported => "epoll",
        "epoll" => throw new SocketEngineChoiceException($"{Variable}=epoll needs Linux on x86-64 or arm64; leave it unset to use .NET's sockets here"),
        _ => throw new SocketEngineChoiceException($"{Variable} is '{choice}': use 'epoll' or 'dotnet', or leave it unset for the best one here"),
    };
}
