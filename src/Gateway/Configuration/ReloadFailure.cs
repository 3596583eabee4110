namespace Gateway.Configuration;

internal sealed record ReloadFailure(DateTimeOffset At, IReadOnlyList<ConfigError> Errors);
