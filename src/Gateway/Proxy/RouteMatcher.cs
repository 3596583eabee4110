namespace Gateway.Proxy;

/// <summary>
/// Asks ASP.NET Core's routing, with the application's own endpoints (YARP's routes), which endpoint a request would
/// reach under another path: a second routing pipeline, run on a copy of the request's method, host, headers and
/// query. Used only for the rare path whose readings differ (the path-spelling check of access).
/// </summary>
internal sealed class RouteMatcher
{
    private readonly Lazy<RequestDelegate> _route;

    private RouteMatcher(Lazy<RequestDelegate> route) => _route = route;

    /// <summary>
    /// A matcher over <paramref name="app"/>'s endpoint sources, built on first use: the routes are mapped after the
    /// middleware that holds this is added.
    /// </summary>
    public static RouteMatcher Create(WebApplication app) => new(new Lazy<RequestDelegate>(() =>
    {
        // A branch gets a routing world of its own: give it the application's endpoint sources, and stop after
        // matching so no endpoint ever runs from here.
        var branch = ((IApplicationBuilder)app).New();
        branch.UseRouting();
        branch.Use(static (HttpContext _, RequestDelegate _) => Task.CompletedTask);
        branch.UseEndpoints(endpoints =>
        {
            foreach (var source in ((IEndpointRouteBuilder)app).DataSources)
            {
                endpoints.DataSources.Add(source);
            }
        });
        return branch.Build();
    }));

    /// <summary>The endpoint <paramref name="request"/> would reach at <paramref name="path"/>; null when none.</summary>
    public async Task<Endpoint?> MatchAsync(HttpContext request, string path)
    {
        var probe = new DefaultHttpContext { RequestServices = request.RequestServices };
        probe.Request.Method = request.Request.Method;
        probe.Request.Scheme = request.Request.Scheme;
        probe.Request.Protocol = request.Request.Protocol;
        probe.Request.Host = request.Request.Host;
        probe.Request.Path = new PathString(path);
        probe.Request.QueryString = request.Request.QueryString;
        foreach (var header in request.Request.Headers)
        {
            probe.Request.Headers[header.Key] = header.Value;
        }

        await _route.Value(probe);
        return probe.GetEndpoint();
    }
}
