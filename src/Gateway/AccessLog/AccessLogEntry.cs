using System.Net;

namespace Gateway.AccessLog;

/// <summary>
/// One line of the access log: an L7 request, or a tunnel (<see cref="Tunnel"/>). A struct formatted at once on the
/// thread that made it, so nothing of a request outlives the request.
/// </summary>
internal readonly struct AccessLogEntry
{
    public required DateTimeOffset Time { get; init; }

    /// <summary>The client after any PROXY header, as the listener saw it.</summary>
    public required IPAddress? ClientAddress { get; init; }

    public int ClientPort { get; init; }

    /// <summary>True for a tunnel: no HTTP fields; <see cref="End"/> says how it ended.</summary>
    public bool Tunnel { get; init; }

    public string? Sni { get; init; }

    public string? Host { get; init; }

    public string? Method { get; init; }

    /// <summary>Path and query as received.</summary>
    public string? Target { get; init; }

    public string? Protocol { get; init; }

    public int Status { get; init; }

    /// <summary>Bytes from the client: the request body's length for a request, what the client sent for a tunnel; null when unknown.</summary>
    public long? BytesIn { get; init; }

    /// <summary>Bytes to the client: the response body's length for a request, what the backend sent for a tunnel; null when unknown.</summary>
    public long? BytesOut { get; init; }

    public required TimeSpan Duration { get; init; }

    /// <summary>From the request's start to the backend's response head; null when no backend answered.</summary>
    public TimeSpan? BackendTime { get; init; }

    public string? Route { get; init; }

    public string? Cluster { get; init; }

    public string? Destination { get; init; }

    public string? Tls { get; init; }

    public string? UserAgent { get; init; }

    public string? Referer { get; init; }

    public string? User { get; init; }

    /// <summary>Why Gateway answered itself (access, path-rule, redirect, no-destination...); null when a backend did.</summary>
    public string? Answered { get; init; }

    /// <summary>For a tunnel: why it ended.</summary>
    public string? End { get; init; }
}
