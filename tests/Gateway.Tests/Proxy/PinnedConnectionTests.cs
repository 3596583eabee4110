using Gateway.Proxy.Pinning;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Tests.Proxy;

public sealed class PinnedConnectionTests
{
    [Fact]
    public void A_destination_id_another_cluster_also_uses_gets_its_own_backend_connection()
    {
        var completion = new Completion();
        var context = new DefaultHttpContext();
        context.Features.Set<IConnectionItemsFeature>(new ConnectionItems());
        context.Features.Set<IConnectionCompleteFeature>(completion);
        var pinned = PinnedConnection.Of(context)!;

        var first = pinned.InvokerFor("exchange", "d1", null);
        Assert.Same(first, pinned.InvokerFor("exchange", "d1", null));

        var other = pinned.InvokerFor("intranet", "d1", new HttpClientConfig { DangerousAcceptAnyServerCertificate = true });
        Assert.NotSame(first, other);
        Assert.Equal(("intranet", "d1"), (pinned.ClusterId, pinned.DestinationId));
        Assert.Same(pinned, PinnedConnection.Of(context));
        Assert.Single(completion.Callbacks);
        pinned.Dispose();
    }

    private sealed class ConnectionItems : IConnectionItemsFeature
    {
        public IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    }

    private sealed class Completion : IConnectionCompleteFeature
    {
        public List<(Func<object, Task> Callback, object State)> Callbacks { get; } = [];

        public void OnCompleted(Func<object, Task> callback, object state) => Callbacks.Add((callback, state));
    }
}
