namespace Gateway.Certificates.Acme;

/// <summary>Makes the provider a generation's <c>Gateway:Acme:Dns</c> names; one per order, so a reload's settings apply to the next order.</summary>
internal sealed class AcmeDnsProviders(TimeProvider time, ILoggerFactory loggers)
{
    private readonly AcmeDnsPropagation _propagation = new(time);

    public IAcmeDnsProvider Create(AcmeDnsConfig config) => config.Provider switch
    {
        AcmeDnsProviderKind.Exec => new AcmeExecDnsProvider(config, _propagation, time),
        _ => new AcmeRfc2136Provider(config, _propagation, time, loggers.CreateLogger<AcmeRfc2136Provider>()),
    };
}
