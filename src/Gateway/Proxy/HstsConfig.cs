
namespace Gateway.Proxy;

/// <param name="MaxAge">Strict-Transport-Security max-age; null: no HSTS header.</param>
internal sealed record HstsConfig(TimeSpan MaxAge, bool IncludeSubDomains, bool Preload)
{
    // Built once, not per response; no code derives an HstsConfig "with" other values, which would keep this one.
    public string HeaderValue { get; } =
        $"max-age={(long)MaxAge.TotalSeconds}{(IncludeSubDomains ? "; includeSubDomains" : "")}{(Preload ? "; preload" : "")}";
}
