using Gateway.Configuration;

namespace Gateway.AccessLog;

/// <summary>Reads <c>Gateway:AccessLog</c>.</summary>
internal sealed class AccessLogFeature : IConfigFeature
{
    public IReadOnlyList<string> GatewayKeys { get; } = ["AccessLog"];

    public ValueTask ReadAsync(GenerationBuilder next)
    {
        var section = next.Gateway.GetSection("AccessLog");
        ConfigReader.RejectUnknownKeys(section, next.Errors, "Enabled", "Path", "Format");
        var path = ConfigReader.ReadString(section, "Path");
        if (path is not null)
        {
            path = System.IO.Path.GetFullPath(path, next.BaseDirectory);
            if (Directory.Exists(path))
            {
                next.Errors.Add(ConfigReader.Path(section, "Path"), $"'{path}' is a directory; name the file lines are appended to");
            }
            else if (System.IO.Path.GetDirectoryName(path) is { } folder && !Directory.Exists(folder))
            {
                next.Errors.Add(ConfigReader.Path(section, "Path"), $"the folder '{folder}' does not exist");
            }
        }

        next.Add(new AccessLogConfig(
            ConfigReader.ReadBool(section, "Enabled", true, next.Errors),
            path,
            ConfigReader.ReadEnum(section, "Format", AccessLogFormat.Combined, next.Errors)));
        return ValueTask.CompletedTask;
    }
}
