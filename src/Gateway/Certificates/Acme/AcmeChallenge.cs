namespace Gateway.Certificates.Acme;

internal sealed record AcmeChallenge(string Type, Uri Url, string? Token, string Status, AcmeProblem? Error);
