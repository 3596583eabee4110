namespace Gateway.Certificates.Acme;

/// <summary>"{}": the body that tells the server a challenge is ready to be validated.</summary>
internal sealed record AcmeEmpty;
