using System.Security.Cryptography;

namespace Gateway.Certificates.Acme;

/// <summary>
/// This process among the instances that share a certificate store: host name, process id and a random part (a
/// restarted process, or a container that reuses pid 1, is a new instance). Written into locks and next to every
/// certificate it orders, so /stats can say who did what.
/// </summary>
internal sealed class AcmeInstance
{
    public string Id { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
}
