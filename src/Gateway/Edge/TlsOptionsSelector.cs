using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Authentication;
using Gateway.Certificates;
using Gateway.Certificates.Acme;
using Gateway.Configuration;
using Gateway.Proxy;
using Gateway.Sni;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Edge;

/// <summary>
/// Chooses the TLS options for a terminated connection: an open tls-alpn-01 answer, else the configured
/// certificate for the SNI, else the ACME one, else the self-signed fallback; offering only http/1.1 for hosts
/// of connection-pinned clusters; with Intermediate's own suites for a TLS 1.2 hello that needs them. Every
/// <see cref="TlsConfig.TicketKeyLifetime"/> it drops .NET's OpenSSL server contexts, which hold the session ticket keys.
/// </summary>
internal sealed class TlsOptionsSelector(GenerationStore generations, ManagedCertificates managed, AcmeChallengeResponses challenges, TimeProvider time)
{
    /// <summary>Connection item set when the handshake answers a tls-alpn-01 challenge: the connection ends after it.</summary>
    public const string AcmeChallengeItem = "Gateway.AcmeChallenge";

    private const ushort Tls13Version = 0x0304;

    private static readonly List<SslApplicationProtocol> Http11Protocols = [SslApplicationProtocol.Http11];

    private readonly ConditionalWeakTable<SslServerAuthenticationOptions, Variants> _variants = [];
    private long _keyPeriod = -1;

    /// <param name="fallbackServerName">SslStream's SNI, used only when the router saw no ClientHello.</param>
    /// <remarks>Completes synchronously but for a tls-alpn-01 answer that another instance published in the certificate store.</remarks>
    public async ValueTask<SslServerAuthenticationOptions> SelectAsync(ConnectionContext connection, string? fallbackServerName)
    {
        // The router's SNI, not SslStream's: SslStream reads only the first TLS record, so a ClientHello
        // fragmented across records would otherwise get the fallback certificate.
        var hello = connection.Items.TryGetValue(ClientHelloInfo.ItemKey, out var item) ? item as ClientHelloInfo : null;
        var serverName = hello is null ? fallbackServerName : hello.ServerName;
        var generation = generations.Current;
        var tls = generation.Get<TlsConfig>();
        if (hello is not null && IsChallenge(hello) && await challenges.TlsAlpnAsync(serverName, tls, connection.ConnectionClosed) is { } challenge)
        {
            connection.Items[AcmeChallengeItem] = true;
            return challenge;
        }

        var options = generation.Get<CertificateSet>().Match(serverName) ?? managed.Match(serverName, tls) ?? generation.Get<CertificateSet>().Fallback;
        if (tls.AllowResumption)
        {
            RotateTicketKeys();
        }

        var http11 = generation.Get<ProxyPolicies>().Http11Only(serverName);
        var strict = tls.StrictSuites is not null && NeedsStrictSuites(hello, tls, options);
        if (!http11 && !strict)
        {
            return options;
        }

        // Every options instance above was built with this generation's TLS settings; a reload builds new ones.
        return _variants.GetValue(options, static o => new Variants(o)).Get(http11, strict, tls);
    }

    /// <summary>
    /// Drops the OpenSSL server contexts at the start of each key period (periods start on multiples of the lifetime
    /// since 0001-01-01 UTC: midnight and noon for 12 hours), so sessions older than their period are not resumed.
    /// </summary>
    private void RotateTicketKeys()
    {
        var period = time.GetUtcNow().UtcTicks / TlsConfig.TicketKeyLifetime.Ticks;
        var previous = Volatile.Read(ref _keyPeriod);
        if (period != previous && Interlocked.CompareExchange(ref _keyPeriod, period, previous) == previous && previous >= 0)
        {
            OpenSslContextCache.DropServerContexts();
        }
    }

    /// <summary>
    /// Whether a hello could get a suite outside Mozilla's intermediate profile from .NET's own list, which has its AEAD
    /// suites first and the CBC ones after, and which OpenSSL chooses from in its own order: only a TLS 1.2 hello
    /// offering none of its GCM suites for the certificate's key. Such a hello gets the intermediate list itself (a
    /// context per handshake, no session), which answers it with ChaCha20 or a handshake_failure alert, as the list
    /// alone would.
    /// </summary>
    private bool NeedsStrictSuites(ClientHelloInfo? hello, TlsConfig tls, SslServerAuthenticationOptions options)
    {
        if (hello is null)
        {
            return true;
        }

        if (tls.Protocols.HasFlag(SslProtocols.Tls13) && hello.SupportedVersions.Contains(Tls13Version) && hello.Suites.HasFlag(ClientHelloSuites.Tls13))
        {
            return false;
        }

        var ecdsa = _variants.GetValue(options, static o => new Variants(o)).Ecdsa;
        return !hello.Suites.HasFlag(ecdsa ? ClientHelloSuites.EcdsaGcm : ClientHelloSuites.RsaGcm);
    }

    private static bool IsChallenge(ClientHelloInfo hello)
    {
        foreach (var protocol in hello.ApplicationProtocols)
        {
            if (protocol == TlsAlpnChallengeCertificate.ProtocolName)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The options served in place of one certificate's options, per ALPN choice and suite list.</summary>
    private sealed class Variants(SslServerAuthenticationOptions options)
    {
        private readonly SslServerAuthenticationOptions?[] _built = new SslServerAuthenticationOptions?[4];

        public bool Ecdsa { get; } = options.ServerCertificateContext!.TargetCertificate.GetKeyAlgorithm() == "1.2.840.10045.2.1";

        public SslServerAuthenticationOptions Get(bool http11, bool strict, TlsConfig tls)
        {
            var index = (http11 ? 1 : 0) + (strict ? 2 : 0);
            return Volatile.Read(ref _built[index]) ?? (_built[index] = CertificateSet.CreateOptions(
                options.ServerCertificateContext!, tls, http11 ? Http11Protocols : options.ApplicationProtocols, strict));
        }
    }
}
