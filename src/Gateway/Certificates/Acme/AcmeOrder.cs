namespace Gateway.Certificates.Acme;

internal sealed record AcmeOrder(string Status, IReadOnlyList<Uri> Authorizations, Uri Finalize, Uri? Certificate, AcmeProblem? Error);
