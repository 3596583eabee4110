namespace Gateway.Metrics;

/// <summary>The reason tag of <c>gateway.proxy.denied</c>.</summary>
internal static class DenyReasons
{
    public const string PathRule = "path-rule";
    public const string Network = "network";
    public const string Auth = "auth";
    public const string AuthThrottled = "auth-throttled";
    public const string PathSpelling = "path-spelling";
    public const string Exploit = "exploit";
}
