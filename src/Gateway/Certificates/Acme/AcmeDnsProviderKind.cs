namespace Gateway.Certificates.Acme;

/// <summary>How dns-01 TXT records are published (<c>Gateway:Acme:Dns:Provider</c>).</summary>
internal enum AcmeDnsProviderKind
{
    /// <summary>RFC 2136 dynamic update signed with a TSIG key, to the zone's primary server (BIND, Knot, PowerDNS, Windows DNS).</summary>
    Rfc2136,

    /// <summary>A program called as <c>present|cleanup FQDN VALUE</c>, as lego's and acme.sh's hooks are.</summary>
    Exec,
}
