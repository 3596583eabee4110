using System.Net.Security;

namespace Gateway.Certificates;

/// <param name="Host">The host it is configured for; "*" for the self-signed fallback.</param>
internal sealed record CertificateInfo(string Host, string Subject, DateTimeOffset NotAfter)
{
    public static CertificateInfo From(string host, SslStreamCertificateContext context) =>
        new(host, context.TargetCertificate.Subject, new DateTimeOffset(context.TargetCertificate.NotAfter.ToUniversalTime()));
}
