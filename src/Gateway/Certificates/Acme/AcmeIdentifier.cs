namespace Gateway.Certificates.Acme;

internal sealed record AcmeIdentifier(string Type, string Value);
