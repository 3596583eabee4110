namespace Gateway.Admin;

internal sealed record TrafficSample(DateTimeOffset At, int ActiveTunnels, double BytesPerSecond);
