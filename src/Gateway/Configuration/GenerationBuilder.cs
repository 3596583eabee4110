namespace Gateway.Configuration;

/// <summary>
/// A generation being read: the configuration, where its relative paths start, the errors found so far, and the
/// parts the capabilities read before this one added.
/// </summary>
/// <param name="running">The serving generation on a reload, null at start: settings read once keep its values.</param>
/// <param name="dryRun">A check (<c>--check</c>): nothing may be written to disk.</param>
internal sealed class GenerationBuilder(IConfiguration configuration, string baseDirectory, Generation? running, bool dryRun)
{
    private readonly Dictionary<int, object> _parts = [];
    private readonly List<string> _restartNeeded = [];

    public IConfiguration Configuration { get; } = configuration;

    /// <summary>The config file's folder: relative file paths mean the same whatever the working directory.</summary>
    public string BaseDirectory { get; } = baseDirectory;

    public Generation? Running { get; } = running;

    public bool DryRun { get; } = dryRun;

    public ConfigErrors Errors { get; } = new();

    /// <summary>What is usable but likely wrong (a certificate that does not cover its host, or expires soon): said, not refused.</summary>
    public ConfigErrors Warnings { get; } = new();

    /// <summary>Settings this reload changed that take effect only at the next start, as "what: running -> wanted".</summary>
    public IReadOnlyList<string> RestartNeeded => _restartNeeded;

    /// <summary>The <c>Gateway</c> section, which most capabilities read a part of.</summary>
    /// <remarks>Read through <see cref="TrackedSection"/>, so that <see cref="Reads"/> can check each key's shape.</remarks>
    public IConfigurationSection Gateway { get; } = new TrackedSection(configuration.GetSection("Gateway"), new ConfigReads());

    /// <summary>How each key of <see cref="Gateway"/> was read, checked once every capability has read its share.</summary>
    public ConfigReads Reads => ((TrackedSection)Gateway).Reads;

    /// <summary>Adds (or replaces) this generation's <typeparamref name="T"/>.</summary>
    public void Add<T>(T part)
        where T : class => _parts[PartSlot<T>.Index] = part;

    /// <summary>A part added earlier, or null when its settings were in error.</summary>
    public T? Find<T>()
        where T : class => _parts.TryGetValue(PartSlot<T>.Index, out var part) ? (T)part : null;

    /// <summary>Records that the running value of a setting read once at start stays until a restart.</summary>
    public void KeepRunning(string setting, string running, string wanted) => _restartNeeded.Add($"{setting}: {running} -> {wanted}");

    public Generation Build(int number)
    {
        var parts = new object?[PartSlots.Count];
        foreach (var (slot, part) in _parts)
        {
            parts[slot] = part;
        }

        return new Generation(number, parts);
    }
}
