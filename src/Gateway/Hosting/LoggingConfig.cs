namespace Gateway.Hosting;

/// <param name="Section">The generation's <c>Logging</c> section, as ASP.NET Core's logging reads it.</param>
/// <param name="Fingerprint">Every key and value of it: two generations log alike when these are equal.</param>
internal sealed record LoggingConfig(IConfigurationSection Section, string Fingerprint);
