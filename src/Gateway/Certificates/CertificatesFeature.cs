using System.Net.Security;
using Gateway.Configuration;

namespace Gateway.Certificates;

/// <summary>
/// Reads <c>Gateway:Tls</c> and <c>Gateway:Certificates</c> and loads the certificate files. Read last: the
/// self-signed fallback is written to disk only for a configuration that will be used.
/// </summary>
internal sealed class CertificatesFeature(TimeProvider time) : IConfigFeature
{
    private (string Path, SslStreamCertificateContext Context)? _fallback;

    public IReadOnlyList<string> GatewayKeys { get; } = ["Tls", "Certificates"];

    public ValueTask ReadAsync(GenerationBuilder next)
    {
        var errors = next.Errors;
        var tls = ReadTls(next.Gateway.GetSection("Tls"), next.BaseDirectory, errors);
        var certificates = next.Gateway.GetSection("Certificates");
        ConfigReader.RejectUnknownKeys(certificates, errors, "Path");
        var path = System.IO.Path.GetFullPath(ConfigReader.ReadString(certificates, "Path") ?? "certs", next.BaseDirectory);
        next.Add(tls);
        next.Add(new CertificatesConfig(path));

        var set = CertificateSet.Load(tls, errors);
        if (!errors.Any && Fallback(path, next.DryRun, errors) is { } fallback)
        {
            next.Add(set.WithFallback(fallback, tls));
        }

        return ValueTask.CompletedTask;
    }

    private SslStreamCertificateContext? Fallback(string directory, bool dryRun, ConfigErrors errors)
    {
        if (dryRun)
        {
            return SelfSignedCertificate.CreateEphemeral(time);
        }

        if (_fallback is { } cached && cached.Path == directory)
        {
            return cached.Context;
        }

        try
        {
            var context = SelfSignedCertificate.LoadOrCreate(directory, time);
            _fallback = (directory, context);
            return context;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add("Gateway:Certificates:Path", $"cannot keep the self-signed certificate in '{directory}': {e.Message}");
            return null;
        }
    }

    private static TlsConfig ReadTls(IConfigurationSection section, string baseDirectory, ConfigErrors errors)
    {
        ConfigReader.RejectUnknownKeys(section, errors, "MinProtocol", "AllowResumption", "Certificates", "UnknownSni");
        var certificates = new List<CertificateFileConfig>();
        var seen = new Dictionary<HostPattern, string>();
        foreach (var entry in section.GetSection("Certificates").GetChildren())
        {
            ConfigReader.RejectUnknownKeys(entry, errors, "CertificatePath", "KeyPath");
            if (!HostPattern.TryParse(entry.Key, out var host, out var error))
            {
                errors.Add(entry.Path, error!);
                continue;
            }

            if (!seen.TryAdd(host, entry.Path))
            {
                errors.Add(entry.Path, $"host '{host}' already has a certificate at {seen[host]}");
                continue;
            }

            var certificate = ConfigReader.ReadString(entry, "CertificatePath");
            var key = ConfigReader.ReadString(entry, "KeyPath");
            if (certificate is null)
            {
                errors.Add(entry.Path + ":CertificatePath", "the PEM certificate file (leaf first, then intermediates) is required");
            }

            if (key is null)
            {
                errors.Add(entry.Path + ":KeyPath", "the PEM private key file is required");
            }

            if (certificate is not null && key is not null)
            {
                certificates.Add(new CertificateFileConfig(host, System.IO.Path.GetFullPath(certificate, baseDirectory), System.IO.Path.GetFullPath(key, baseDirectory), entry.Path));
            }
        }

        return new TlsConfig(
            ConfigReader.ReadEnum(section, "MinProtocol", TlsMinProtocol.Tls12, errors),
            ConfigReader.ReadBool(section, "AllowResumption", false, errors),
            certificates,
            ConfigReader.ReadEnum(section, "UnknownSni", UnknownSniAction.Terminate, errors));
    }
}
