using Gateway.Configuration;

namespace Gateway.Certificates.Acme;

/// <param name="Enabled">Whether certificates are ordered at all; stored ones are served either way.</param>
/// <param name="Directory">The CA's directory URL.</param>
/// <param name="DirectoryTrustPath">A PEM file of CA certificates trusted for the directory's own HTTPS, instead of the system store; null: system store.</param>
/// <param name="AcceptTermsOfService">The operator's agreement to the CA's terms; nothing is ordered without it.</param>
/// <param name="Challenges">The challenge types to try, in order.</param>
/// <param name="Hosts">Host names to obtain certificates for beyond those of the YARP routes.</param>
/// <param name="RenewBefore">Renew this long before expiry; null: when a third of the lifetime remains.</param>
/// <param name="LockLease">How long a lock in the certificate store outlives its holder's last renewal (a crashed
/// instance's order is taken over after it, plus a quarter for clock skew); renewed every third of it.</param>
/// <param name="Dns">Where dns-01 records are published; null: no dns-01, so no wildcards.</param>
internal sealed record AcmeConfig(
    bool Enabled,
    Uri Directory,
    string? DirectoryTrustPath,
    string? Email,
    bool AcceptTermsOfService,
    IReadOnlyList<AcmeChallengeType> Challenges,
    IReadOnlyList<HostPattern> Hosts,
    TimeSpan? RenewBefore,
    TimeSpan LockLease,
    AcmeDnsConfig? Dns = null)
{
    public static readonly TimeSpan DefaultLockLease = TimeSpan.FromMinutes(2);

    public static readonly Uri LetsEncrypt = new("https://acme-v02.api.letsencrypt.org/directory");
    public static readonly Uri LetsEncryptStaging = new("https://acme-staging-v02.api.letsencrypt.org/directory");

    public static AcmeConfig Disabled { get; } = new(false, LetsEncrypt, null, null, false, [AcmeChallengeType.TlsAlpn01, AcmeChallengeType.Http01], [], null, DefaultLockLease);

    public static string ChallengeName(AcmeChallengeType type) => type switch
    {
        AcmeChallengeType.TlsAlpn01 => "tls-alpn-01",
        AcmeChallengeType.Http01 => "http-01",
        _ => "dns-01",
    };
}
