namespace Gateway.Certificates.Acme;

internal sealed record AcmeDirectory(Uri NewNonce, Uri NewAccount, Uri NewOrder);
