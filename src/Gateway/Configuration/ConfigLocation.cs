namespace Gateway.Configuration;

/// <summary>Where a configuration comes from: the file, and the command line's overrides on top of it.</summary>
internal sealed record ConfigLocation(string File, string[] Overrides)
{
    /// <summary>The file's folder: relative paths in the configuration start here.</summary>
    public string BaseDirectory => System.IO.Path.GetDirectoryName(File)!;
}
