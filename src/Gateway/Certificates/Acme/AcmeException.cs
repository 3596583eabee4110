namespace Gateway.Certificates.Acme;

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
