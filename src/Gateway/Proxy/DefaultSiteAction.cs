
namespace Gateway.Proxy;

internal enum DefaultSiteAction
{
    /// <summary>A built-in 404 page.</summary>
    NotFound,

    /// <summary>A redirect to <see cref="DefaultSiteConfig.To"/>.</summary>
    Redirect,

    /// <summary>The connection is closed without an answer.</summary>
    Close,
}
