namespace Gateway.Certificates.Acme;

internal sealed record AcmeAuthorization(string Status, AcmeIdentifier Identifier, IReadOnlyList<AcmeChallenge> Challenges, bool Wildcard = false);
