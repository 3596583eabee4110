namespace Gateway.Certificates.Acme;

internal static class AcmeServices
{
    /// <summary>Certificates ordered and renewed for the L7 hosts, and the challenges answered meanwhile.</summary>
    public static IServiceCollection AddAcme(this IServiceCollection services)
    {
        services.AddSingleton<AcmeInstance>();
        services.AddSingleton<ManagedCertificates>();
        services.AddSingleton<AcmeChallengeResponses>();
        services.AddSingleton<AcmeDnsProviders>();
        services.AddSingleton<AcmeOrderer>();
        services.AddSingleton<AcmeCertificateManager>();
        services.AddHostedService(provider => provider.GetRequiredService<AcmeCertificateManager>());
        return services;
    }
}
