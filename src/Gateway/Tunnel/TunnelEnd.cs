namespace Gateway.Tunnel;

/// <summary>Why a tunnel ended, as written in the log (HAProxy's termination state, in words).</summary>
internal enum TunnelEnd
{
    /// <summary>The client finished sending (FIN) first, then the backend finished too.</summary>
    ClientClosed,

    /// <summary>The backend finished sending (FIN) first: the client got it after the last byte, then finished too.</summary>
    BackendClosed,

    ClientError,
    BackendError,
    IdleTimeout,

    /// <summary>Closed from inside the gateway (shutdown).</summary>
    Aborted,

    /// <summary>Its passthrough route was removed by a reload and Gateway:Reload:CloseRemovedAfter passed.</summary>
    RouteRemoved,
}
