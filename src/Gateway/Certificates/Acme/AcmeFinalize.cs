namespace Gateway.Certificates.Acme;

internal sealed record AcmeFinalize(string Csr);
