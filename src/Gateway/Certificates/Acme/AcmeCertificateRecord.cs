namespace Gateway.Certificates.Acme;

/// <summary>
/// The small file beside a stored certificate (<c>{name}.json</c>): which instance ordered it, and when. It names the
/// certificate by serial number, so a record left from an order that crashed before its certificate was written
/// describes nothing rather than the wrong certificate.
/// </summary>
internal sealed record AcmeCertificateRecord(IReadOnlyList<string> Hosts, string Serial, string OrderedBy, DateTimeOffset OrderedAt);
