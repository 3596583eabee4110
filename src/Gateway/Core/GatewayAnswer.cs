namespace Gateway.Core;

/// <summary>
/// Why Gateway answered a request itself instead of a backend (an access list, a path rule, a redirect...): set by the
/// step that answered, read by the access log.
/// </summary>
internal static class GatewayAnswer
{
    private static readonly object Key = new();

    public static void Set(HttpContext context, string reason) => context.Items[Key] = reason;

    public static string? Get(HttpContext context) => context.Items.TryGetValue(Key, out var reason) ? reason as string : null;
}
