namespace Gateway.Metrics;

/// <summary>The error tag of <c>gateway.listener.accept_failures</c>.</summary>
internal static class AcceptFailures
{
    /// <summary>EMFILE or ENFILE: the process's or the system's open-files limit.</summary>
    public const string Descriptors = "descriptors";

    /// <summary>ENOBUFS or ENOMEM.</summary>
    public const string Memory = "memory";

    public const string Other = "other";

    public static string Of(System.Net.Sockets.SocketError error) => error switch
    {
        System.Net.Sockets.SocketError.TooManyOpenSockets => Descriptors,
        System.Net.Sockets.SocketError.NoBufferSpaceAvailable => Memory,
        _ => Other,
    };

    /// <summary>Every value, for the series that start at zero.</summary>
    public static readonly string[] All = [Descriptors, Memory, Other];
}
