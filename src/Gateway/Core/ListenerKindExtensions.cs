
namespace Gateway.Core;

internal static class ListenerKindExtensions
{
    public static ListenerKind? Listener(this HttpContext context) =>
        context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items.TryGetValue(GatewayListeners.ItemKey, out var kind) == true
            ? kind as ListenerKind?
            : null;
}
