namespace Gateway.Configuration;

/// <summary>
/// Every problem found in one pass over the configuration, each with the config path it belongs to,
/// so an operator fixes them all at once instead of one per restart.
/// </summary>
internal sealed class ConfigErrors
{
    private readonly List<ConfigError> _errors = [];

    public IReadOnlyList<ConfigError> All => _errors;

    public bool Any => _errors.Count > 0;

    public void Add(string path, string message) => _errors.Add(new ConfigError(path, message));
}
