namespace Gateway.AccessLog;

internal enum AccessLogFormat
{
    /// <summary>nginx's "combined" line (what Nginx Proxy Manager writes), with Gateway's fields appended as name=value.</summary>
    Combined,

    /// <summary>One JSON object per line.</summary>
    Json,
}
