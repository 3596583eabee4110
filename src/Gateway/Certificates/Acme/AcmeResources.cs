using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Certificates.Acme;

// The members of RFC 8555's resources that Gateway reads (section 7.1); everything else is ignored.

internal sealed record AcmeDirectory(Uri NewNonce, Uri NewAccount, Uri NewOrder);

internal sealed record AcmeIdentifier(string Type, string Value);

internal sealed record AcmeOrder(string Status, IReadOnlyList<Uri> Authorizations, Uri Finalize, Uri? Certificate, AcmeProblem? Error);

internal sealed record AcmeAuthorization(string Status, AcmeIdentifier Identifier, IReadOnlyList<AcmeChallenge> Challenges);

internal sealed record AcmeChallenge(string Type, Uri Url, string? Token, string Status, AcmeProblem? Error);

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

/// <summary>An ACME request the server refused, with its problem document and any Retry-After it gave.</summary>
internal sealed class AcmeException : Exception
{
    public AcmeException(string message, AcmeProblem? problem = null, TimeSpan? retryAfter = null)
        : base(problem is null ? message : $"{message}: {problem}")
    {
        RetryAfter = retryAfter;
    }

    public AcmeException()
    {
    }

    public AcmeException(string message)
        : base(message)
    {
    }

    public AcmeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TimeSpan? RetryAfter { get; }

    /// <summary>A challenge could not be validated; another challenge type may still succeed.</summary>
    public bool ValidationFailed { get; init; }
}

internal static class AcmeStatus
{
    public const string Pending = "pending";
    public const string Ready = "ready";
    public const string Processing = "processing";
    public const string Valid = "valid";
}

/// <summary>Source-generated JSON for ACME resources: no reflection, no per-call options.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AcmeDirectory))]
[JsonSerializable(typeof(AcmeOrder))]
[JsonSerializable(typeof(AcmeAuthorization))]
[JsonSerializable(typeof(AcmeChallenge))]
[JsonSerializable(typeof(AcmeProblem))]
[JsonSerializable(typeof(AcmeNewAccount))]
[JsonSerializable(typeof(AcmeNewOrder))]
[JsonSerializable(typeof(AcmeFinalize))]
[JsonSerializable(typeof(AcmeEmpty))]
internal sealed partial class AcmeJson : JsonSerializerContext;

internal sealed record AcmeNewAccount(bool TermsOfServiceAgreed, IReadOnlyList<string>? Contact);

internal sealed record AcmeNewOrder(IReadOnlyList<AcmeIdentifier> Identifiers);

internal sealed record AcmeFinalize(string Csr);

/// <summary>"{}": the body that tells the server a challenge is ready to be validated.</summary>
internal sealed record AcmeEmpty;
