namespace Gateway.Metrics;

/// <summary>The outcome tag of <c>gateway.connections</c>.</summary>
internal static class ConnectionOutcomes
{
    public const string Tunnelled = "tunnelled";
    public const string Terminated = "terminated";
    public const string HelloTimeout = "hello-timeout";
    public const string NotTls = "not-tls";
    public const string Invalid = "invalid-hello";
    public const string TooLarge = "too-large";
    public const string ClosedEarly = "closed-early";
    public const string NoDestination = "no-destination";
    public const string ConnectFailed = "connect-failed";
    public const string RefusedLimit = "refused-limit";

    /// <summary>A passthrough route's Access rules refused the client.</summary>
    public const string Denied = "denied";

    /// <summary>A connection from a trusted load balancer without a valid PROXY header.</summary>
    public const string BadProxyHeader = "bad-proxy-header";

    /// <summary>Gateway:Tls:UnknownSni is Reject and no route or certificate knows the SNI.</summary>
    public const string UnknownSni = "unknown-sni";

    /// <summary>Every value, for the series that start at zero.</summary>
    public static readonly string[] All = [Tunnelled, Terminated, HelloTimeout, NotTls, Invalid, TooLarge, ClosedEarly, NoDestination, ConnectFailed, RefusedLimit, Denied, BadProxyHeader, UnknownSni];
}
