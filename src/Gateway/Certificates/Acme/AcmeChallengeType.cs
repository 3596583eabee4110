namespace Gateway.Certificates.Acme;

/// <summary>ACME challenge types Gateway can answer (RFC 8555 8.3, RFC 8737).</summary>
internal enum AcmeChallengeType
{
    /// <summary>"tls-alpn-01", answered on the HTTPS listener by the ClientHello router.</summary>
    TlsAlpn01,

    /// <summary>"http-01", answered on the HTTP listener before the redirect.</summary>
    Http01,

    /// <summary>"dns-01", a TXT record published through Gateway:Acme:Dns; the one challenge a wildcard can use.</summary>
    Dns01,
}
