namespace Gateway.Configuration;

/// <summary>Thrown at startup when the configuration cannot be used; carries the full list.</summary>
internal sealed class ConfigValidationException(IReadOnlyList<ConfigError> errors)
    : Exception("The configuration is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
{
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}
