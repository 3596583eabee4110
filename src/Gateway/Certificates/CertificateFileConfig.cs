using Gateway.Configuration;

namespace Gateway.Certificates;

/// <param name="CertificatePath">PEM file: the leaf first, then its intermediates.</param>
/// <param name="KeyPath">PEM file with the private key (PKCS#8, RSA or EC).</param>
internal sealed record CertificateFileConfig(HostPattern Host, string CertificatePath, string KeyPath, string ConfigPath);
