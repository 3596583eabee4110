using Gateway.Access;
using Gateway.AccessLog;
using Gateway.Admin;
using Gateway.Certificates.Acme;
using Gateway.Core;
using Gateway.Proxy;
using Gateway.Proxy.Pinning;

namespace Gateway.Hosting;

/// <summary>The HTTP pipeline, in order: each step is a capability's middleware or YARP pipeline step.</summary>
internal static class GatewayPipeline
{
    public static void Use(WebApplication app)
    {
        app.UseMiddleware<FirstRequestMiddleware>();
        app.MapWhen(context => context.Listener() == ListenerKind.Admin, AdminEndpoints.Configure);
        app.UseMiddleware<AccessLogMiddleware>();
        app.UseMiddleware<AcmeHttpChallengeMiddleware>();
        app.UseMiddleware<RedirectHostsMiddleware>();
        app.UseMiddleware<HttpsRedirectMiddleware>();
        app.UseMiddleware<MisdirectedRequestMiddleware>();
        app.UseRouting();
        app.UseMiddleware<PathSpellingMiddleware>(RouteMatcher.Create(app));
        app.UseMiddleware<DefaultSiteMiddleware>();
        var recorder = app.Services.GetRequiredService<ProxyRequestRecorder>();
        var plainHttp = app.Services.GetRequiredService<PlainHttpGuard>();
        var errorPages = app.Services.GetRequiredService<ErrorPages>();
        var routeAccess = app.Services.GetRequiredService<RouteAccess>();
        var pathRules = app.Services.GetRequiredService<PathRules>();
        var ntlmGuard = app.Services.GetRequiredService<NtlmGuard>();
        var pinned = app.Services.GetRequiredService<PinnedForwarder>();
        app.MapReverseProxy(proxy =>
        {
            proxy.Use(plainHttp.InvokeAsync);
            proxy.Use(recorder.InvokeAsync);
            proxy.Use(errorPages.InvokeAsync);
            proxy.Use(routeAccess.CheckAsync);
            proxy.Use(pathRules.CheckAsync);
            proxy.Use(ntlmGuard.CheckRequestAsync);
            proxy.Use(pinned.KeepDestinationAsync);
            proxy.UseSessionAffinity();
            proxy.UseMiddleware<DestinationAdminStateMiddleware>();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecksWhereEnabled();
            // Last: for connection-pinned clusters this is the forwarding step; others go on to YARP's.
            proxy.Use(pinned.ForwardAsync);
        });
    }
}
