using System.Net.Security;
using Gateway.Certificates;
using Gateway.Proxy;

namespace Gateway.Configuration;

/// <summary>
/// Turns a configuration into a complete <see cref="GatewaySnapshot"/> or the full list of what is wrong with
/// it. Everything that can fail - parsing, certificate files, YARP's validation, host clashes - fails here,
/// before anything is published.
/// </summary>
internal sealed class GatewaySnapshotFactory(TimeProvider time)
{
    private (string Path, SslStreamCertificateContext Context)? _fallback;

    /// <param name="persistFallback">False for a dry run (<c>--check</c>): nothing is written to disk.</param>
    public async Task<(GatewaySnapshot? Snapshot, IReadOnlyList<ConfigError> Errors)> BuildAsync(
        IConfiguration configuration, string baseDirectory, int generation, bool persistFallback = true)
    {
        var errors = new ConfigErrors();
        var config = GatewayConfigLoader.Load(configuration, baseDirectory, errors);
        var proxy = await ProxyConfigReader.ReadAsync(configuration, errors);
        HostOwnership.Check(config.Passthrough, proxy, errors);
        ProxyPolicies.Check(config.Proxy, proxy, errors);
        proxy = ProxyPolicies.ApplyPresets(proxy, config.Proxy);
        var certificates = CertificateSet.Load(config.Tls, errors);

        // The fallback is written to disk only for a config that will be used.
        var fallback = errors.Any ? null : Fallback(config.CertificatesPath, persistFallback, errors);
        return fallback is null
            ? (null, errors.All)
            : (new GatewaySnapshot(generation, config, certificates.WithFallback(fallback, config.Tls), proxy), errors.All);
    }

    private SslStreamCertificateContext? Fallback(string directory, bool persist, ConfigErrors errors)
    {
        if (!persist)
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
}
