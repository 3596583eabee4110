namespace Gateway.Certificates.Acme;

/// <summary>RFC 7807 problem details, as ACME servers send them (RFC 8555 6.7).</summary>
internal sealed record AcmeProblem(string? Type, string? Detail, int? Status, IReadOnlyList<AcmeProblem>? Subproblems, AcmeIdentifier? Identifier)
{
    public const string BadNonce = "urn:ietf:params:acme:error:badNonce";

    public override string ToString()
    {
        var text = $"{Type ?? "problem"}: {Detail}";
        if (Identifier is not null)
        {
            text = $"{Identifier.Value}: {text}";
        }

        return Subproblems is { Count: > 0 } ? text + " (" + string.Join("; ", Subproblems) + ")" : text;
    }
}
