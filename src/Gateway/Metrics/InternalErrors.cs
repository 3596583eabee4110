namespace Gateway.Metrics;

/// <summary>The component tag of <c>gateway.internal_errors</c>: where an exception nobody expected was caught.</summary>
internal static class InternalErrors
{
    public const string SocketLoop = "socket-loop";
    public const string EdgeConnection = "edge-connection";
    public const string TerminatedConnection = "terminated-connection";
    public const string HealthCheck = "health-check";
    public const string Acme = "acme";
    public const string Reload = "reload";

    /// <summary>Every value, for the series that start at zero.</summary>
    public static readonly string[] All = [SocketLoop, EdgeConnection, TerminatedConnection, HealthCheck, Acme, Reload];
}
