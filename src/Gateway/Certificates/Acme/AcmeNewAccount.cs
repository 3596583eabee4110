namespace Gateway.Certificates.Acme;

internal sealed record AcmeNewAccount(bool TermsOfServiceAgreed, IReadOnlyList<string>? Contact);
