using Gateway.Certificates.Acme;
using Gateway.Core;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Certificates;

/// <summary>The http-01 step in front of every request: what it lets through, and that it costs those requests nothing.</summary>
public sealed class AcmeHttpChallengeMiddlewareTests
{
    [Theory]
    [InlineData(true, "/.well-known/acme-challenge/abcDEF123_-")]
    [InlineData(false, "/")]
    [InlineData(false, "/.well-known/acme-challenge/")]
    [InlineData(false, "/.well-known/acme-challenge/a/b")]
    [InlineData(false, "/.well-known/acme-challenge/..")]
    [InlineData(false, "/.WELL-KNOWN/acme-challenge/abc")]
    public void A_request_that_is_no_challenge_to_look_up_passes_without_a_state_machine_of_its_own(bool https, string path)
    {
        var listener = https ? ListenerKind.Https : ListenerKind.Http;
        var rest = new TaskCompletionSource();
        var step = new AcmeHttpChallengeMiddleware(_ => rest.Task, new AcmeChallengeResponses());

        Assert.Same(rest.Task, step.InvokeAsync(Request(listener, path)));
    }

    [Fact]
    public async Task A_token_nobody_issued_is_looked_up_and_falls_through_to_the_rest()
    {
        var reached = false;
        var step = new AcmeHttpChallengeMiddleware(_ =>
        {
            reached = true;
            return Task.CompletedTask;
        }, new AcmeChallengeResponses());

        await step.InvokeAsync(Request(ListenerKind.Http, "/.well-known/acme-challenge/nobody-issued-this"));

        Assert.True(reached);
    }

    [Fact]
    public async Task An_open_challenge_is_answered_on_the_http_listener_only()
    {
        var responses = new AcmeChallengeResponses();
        using var open = responses.AddHttp("tok3n", "tok3n.thumbprint");
        var step = new AcmeHttpChallengeMiddleware(_ => throw new InvalidOperationException("passed on"), responses);
        var context = Request(ListenerKind.Http, "/.well-known/acme-challenge/tok3n");
        context.Response.Body = new MemoryStream();

        await step.InvokeAsync(context);

        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        Assert.Equal("tok3n.thumbprint", System.Text.Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray()));
        await Assert.ThrowsAsync<InvalidOperationException>(() => step.InvokeAsync(Request(ListenerKind.Https, "/.well-known/acme-challenge/tok3n")));
    }

    private static DefaultHttpContext Request(ListenerKind listener, string path)
    {
        var context = new DefaultHttpContext();
        context.Features.Set<IConnectionItemsFeature>(new ConnectionItems(listener));
        context.Request.Path = path;
        return context;
    }

    private sealed class ConnectionItems(ListenerKind listener) : IConnectionItemsFeature
    {
        public IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?> { [GatewayListeners.ItemKey] = listener };
    }
}
