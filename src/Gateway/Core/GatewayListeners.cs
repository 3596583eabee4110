using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Core;

/// <summary>
/// The listeners as bound. Listening on port 0 picks a free port; this says which one
/// (tests and logs need it), once the server has started.
/// </summary>
internal sealed class GatewayListeners
{
    public const string ItemKey = "Gateway.Listener";

    private readonly Dictionary<string, ListenOptions> _streams = new(StringComparer.OrdinalIgnoreCase);
    private ListenOptions? _https;
    private ListenOptions? _http;
    private ListenOptions? _admin;

    public IPEndPoint? Https => _https?.IPEndPoint;

    public IPEndPoint? Http => _http?.IPEndPoint;

    public IPEndPoint? Admin => _admin?.IPEndPoint;

    public IPEndPoint? Stream(string streamId) => _streams.GetValueOrDefault(streamId)?.IPEndPoint;

    public void RegisterStream(string streamId, ListenOptions options) => _streams.TryAdd(streamId, options);

    public void Register(ListenerKind kind, ListenOptions options)
    {
        // localhost binds twice (IPv4 and IPv6); either answers.
        switch (kind)
        {
            case ListenerKind.Https:
                _https ??= options;
                break;
            case ListenerKind.Http:
                _http ??= options;
                break;
            default:
                _admin ??= options;
                break;
        }

        options.Use(next => connection =>
        {
            connection.Items[ItemKey] = kind;
            return next(connection);
        });
    }
}
