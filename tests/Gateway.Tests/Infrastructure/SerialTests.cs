namespace Gateway.Tests.Infrastructure;

/// <summary>Tests that read process-wide state (open file descriptors, environment variables) run alone, after the rest.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTests
{
    public const string Name = "Serial";
}
