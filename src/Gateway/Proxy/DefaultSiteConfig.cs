
namespace Gateway.Proxy;

internal sealed record DefaultSiteConfig(DefaultSiteAction Action, string? To);
