namespace Gateway.Certificates.Acme;

internal sealed record AcmeNewOrder(IReadOnlyList<AcmeIdentifier> Identifiers);
