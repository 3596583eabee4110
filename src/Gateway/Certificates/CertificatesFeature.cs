using System.Net.Security;
using System.Security.Authentication;
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
        if (!tls.AllowResumption && tls.CipherSuites is null && ConfigReader.ReadString(next.Gateway.GetSection("Tls"), "AllowResumption") is not null)
        {
            next.Warnings.Add(ConfigReader.Path(next.Gateway.GetSection("Tls"), "AllowResumption"), "false: returning clients cannot resume, and a full handshake costs about half as much again as a resumed one; .NET also builds a new OpenSSL context for every handshake, about 10 % more CPU each (docs/benchmarks.md)");
        }

        // Checked on every read, --check included, which writes nothing: a start would fail to keep the fallback there.
        if (FolderProblem(path) is { } problem)
        {
            errors.Add(ConfigReader.Path(certificates, "Path"), problem);
        }

        var set = CertificateSet.Load(tls, errors, next.Warnings, time.GetUtcNow());
        if (!errors.Any && Fallback(path, next.DryRun, errors) is { } fallback)
        {
            next.Add(set.WithFallback(fallback, tls));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// What keeps <paramref name="directory"/> from holding the self-signed fallback and ACME's files, found without
    /// writing: the path or one of its parents is a file, or a fallback file's name is taken by a folder.
    /// </summary>
    private static string? FolderProblem(string directory)
    {
        const string Instead = "write the path of a folder (it is created when missing), e.g. \"certs\"";
        directory = System.IO.Path.TrimEndingDirectorySeparator(directory);
        if (File.Exists(directory))
        {
            return $"'{directory}' is a file, not a folder; {Instead}";
        }

        for (var parent = System.IO.Path.GetDirectoryName(directory); parent is not null && !Directory.Exists(parent); parent = System.IO.Path.GetDirectoryName(parent))
        {
            if (File.Exists(parent))
            {
                return $"'{parent}' is a file, so the folder '{directory}' cannot be created; {Instead}";
            }
        }

        foreach (var name in new[] { SelfSignedCertificate.CertificateFileName, SelfSignedCertificate.KeyFileName })
        {
            var file = System.IO.Path.Combine(directory, name);
            if (Directory.Exists(file))
            {
                return $"'{file}' is a folder, where the self-signed certificate is kept; remove it or choose another folder";
            }
        }

        return null;
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
        ConfigReader.RejectUnknownKeys(section, errors, "MinProtocol", "Policy", "CipherSuites", "AllowResumption", "Certificates", "UnknownSni");
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

        var minProtocol = ConfigReader.ReadEnum(section, "MinProtocol", TlsMinProtocol.Tls12, errors);
        var policy = ConfigReader.ReadEnum(section, "Policy", TlsPolicy.Intermediate, errors);
        var (protocols, suites) = ReadSuites(section, minProtocol, policy, errors);

        // With a list of Gateway's own, .NET builds a new OpenSSL context for every handshake, and a new context knows
        // no session: resumption is off unless asked for, and refused when asked for. Where the ticket keys cannot be
        // rotated (OpenSslContextCache), it is off unless asked for.
        var allowResumption = ConfigReader.ReadBool(section, "AllowResumption", suites is null && OpenSslContextCache.Available, errors);
        if (allowResumption && suites is not null)
        {
            errors.Add(ConfigReader.Path(section, "AllowResumption"), "sessions cannot be resumed with a cipher suite list of Gateway's own (CipherSuites): .NET then builds a new OpenSSL context for every handshake, and a new context knows no session. Resumption works with every Policy");
        }

        return new TlsConfig(
            minProtocol,
            allowResumption,
            certificates,
            ConfigReader.ReadEnum(section, "UnknownSni", UnknownSniAction.Terminate, errors),
            policy,
            protocols,
            suites,
            policy == TlsPolicy.Intermediate && suites is null && protocols.HasFlag(SslProtocols.Tls12) && !OperatingSystem.IsWindows()
                ? new CipherSuitesPolicy(CipherSuiteNames.Intermediate)
                : null);
    }

    /// <summary>The protocols and suites every terminated handshake offers.</summary>
    private static (SslProtocols Protocols, CipherSuitesPolicy? Suites) ReadSuites(IConfigurationSection section, TlsMinProtocol minProtocol, TlsPolicy policy, ConfigErrors errors)
    {
        var minSet = ConfigReader.ReadString(section, "MinProtocol") is not null;
        if (policy == TlsPolicy.Modern && minSet && minProtocol == TlsMinProtocol.Tls12)
        {
            errors.Add(ConfigReader.Path(section, "MinProtocol"), "Policy Modern is TLS 1.3 only; MinProtocol Tls12 contradicts it (remove MinProtocol, or use Policy Intermediate for TLS 1.2 clients)");
        }

        if (OperatingSystem.IsWindows())
        {
            // Schannel takes no suite list from .NET: the system's policy chooses.
            if (ConfigReader.ReadString(section, "CipherSuites") is not null || section.GetSection("CipherSuites").GetChildren().Any())
            {
                errors.Add(ConfigReader.Path(section, "CipherSuites"), "Windows chooses the cipher suites itself (its TLS policy); a list is supported on Linux only");
            }

            return (policy == TlsPolicy.Modern || minProtocol == TlsMinProtocol.Tls13 ? SslProtocols.Tls13 : SslProtocols.Tls12 | SslProtocols.Tls13, null);
        }

        var listed = ReadCipherSuites(section, errors);
        if (listed is not null)
        {
            if (ConfigReader.ReadString(section, "Policy") is not null)
            {
                errors.Add(ConfigReader.Path(section, "Policy"), "set either Policy or CipherSuites: the suites listed are the policy");
            }

            var tls13 = listed.Where(CipherSuiteNames.IsTls13).ToList();
            var tls12 = listed.Where(s => !CipherSuiteNames.IsTls13(s)).ToList();
            var path = ConfigReader.Path(section, "CipherSuites");
            if (minProtocol == TlsMinProtocol.Tls13 && tls13.Count == 0)
            {
                errors.Add(path, "lists no TLS 1.3 suite, but MinProtocol is Tls13: no handshake could succeed");
            }
            else if (minProtocol == TlsMinProtocol.Tls13 && tls12.Count > 0)
            {
                errors.Add(path, $"lists TLS 1.2 suites ({string.Join(", ", tls12)}), but MinProtocol is Tls13: they would never be offered");
            }

            var protocols = (tls13.Count > 0 ? SslProtocols.Tls13 : SslProtocols.None) | (tls12.Count > 0 && minProtocol == TlsMinProtocol.Tls12 ? SslProtocols.Tls12 : SslProtocols.None);
            return (protocols, new CipherSuitesPolicy(listed));
        }

        // No list for any policy: without one .NET keeps one OpenSSL context per certificate, which resumes sessions and
        // halves a full handshake's CPU (docs/benchmarks.md). TLS 1.3's suites are all AEAD; Intermediate's TLS 1.2 is
        // kept to its suites by TlsConfig.StrictSuites.
        return policy == TlsPolicy.Modern || minProtocol == TlsMinProtocol.Tls13
            ? (SslProtocols.Tls13, null)
            : (SslProtocols.Tls12 | SslProtocols.Tls13, null);
    }

    /// <summary>
    /// <c>CipherSuites</c> as a JSON list or as one string separated by colons, commas or spaces (nginx's and HAProxy's
    /// spelling); null when not set.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static List<TlsCipherSuite>? ReadCipherSuites(IConfigurationSection section, ConfigErrors errors)
    {
        var key = section.GetSection("CipherSuites");
        var entries = ConfigReader.Items(key).Select(e => (e.Path, e.Value)).ToList();
        if (entries.Count == 0 && !string.IsNullOrWhiteSpace(key.Value))
        {
            entries = [.. key.Value.Split([':', ',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(name => (key.Path, (string?)name))];
        }

        if (entries.Count == 0)
        {
            return null;
        }

        var suites = new List<TlsCipherSuite>();
        foreach (var (path, value) in entries)
        {
            var name = value?.Trim() ?? "";
            if (!CipherSuiteNames.TryParse(name, out var suite))
            {
                errors.Add(path, $"'{name}' is not a cipher suite name; write IANA's (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) or OpenSSL's (ECDHE-RSA-AES128-GCM-SHA256)");
            }
            else if (!Supported(suite))
            {
                errors.Add(path, $"'{name}' ({suite}) is not a suite this machine's OpenSSL can negotiate");
            }
            else if (!suites.Contains(suite))
            {
                suites.Add(suite);
            }
        }

        return suites.Count == 0 ? null : suites;
    }

    /// <summary>.NET silently drops from a policy the suites OpenSSL does not implement; a list must not shrink unseen.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static bool Supported(TlsCipherSuite suite) => new CipherSuitesPolicy([suite]).AllowedCipherSuites.Contains(suite);
}
