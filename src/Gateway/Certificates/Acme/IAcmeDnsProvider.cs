namespace Gateway.Certificates.Acme;

/// <summary>Publishes and removes the TXT record of a dns-01 answer (RFC 8555 8.4).</summary>
internal interface IAcmeDnsProvider
{
    /// <summary>Publishes <paramref name="value"/> at <paramref name="fqdn"/> and returns once the CA can see it.</summary>
    /// <exception cref="AcmeException">The record could not be published, or did not show in time; the message says why.</exception>
    Task PresentAsync(string fqdn, string value, CancellationToken cancellationToken);

    /// <summary>Removes that one value (others at the same name, for parallel orders, stay).</summary>
    /// <exception cref="AcmeException">The removal failed.</exception>
    Task CleanupAsync(string fqdn, string value, CancellationToken cancellationToken);
}
