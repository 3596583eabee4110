namespace Gateway.Certificates;

/// <param name="Path">Where the self-signed fallback certificate and the ACME account and certificates are kept.</param>
internal sealed record CertificatesConfig(string Path);
