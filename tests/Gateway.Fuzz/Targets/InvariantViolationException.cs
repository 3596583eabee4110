namespace Gateway.Fuzz.Targets;

/// <summary>A fuzz target's invariant does not hold; escaping the harness, it makes afl-fuzz record a crash.</summary>
internal sealed class InvariantViolationException : Exception
{
    public InvariantViolationException()
    {
    }

    public InvariantViolationException(string message)
        : base(message)
    {
    }

    public InvariantViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
