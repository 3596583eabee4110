using Gateway.Certificates.Acme;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Certificates;

/// <summary>The ACME store on a real disk: the one-file form it writes, and the two-file form earlier versions wrote.</summary>
public sealed class AcmeStorageTests
{
    [Fact]
    public void A_pair_stored_by_an_earlier_version_loads_and_the_next_save_replaces_it_with_one_private_file()
    {
        var (old, renewed) = (TestCertificates.Get("app.test"), TestCertificates.Get("renewed.app.test"));
        var storage = new AcmeStorage(Directory.CreateTempSubdirectory("gateway-acme-store-").FullName, new Uri("https://ca.test/dir"), "test:1:000000", AcmeConfig.DefaultLockLease, TimeProvider.System);
        Directory.CreateDirectory(storage.CertificatesFolder);
        var chainPath = Path.Combine(storage.CertificatesFolder, "app.test.pem");
        var legacyKeyPath = Path.Combine(storage.CertificatesFolder, "app.test.key.pem");
        File.Copy(old.CertificatePath, chainPath);
        File.Copy(old.KeyPath, legacyKeyPath);

        var loaded = Assert.Single(storage.LoadAll((path, e) => Assert.Fail($"{path}: {e.Message}")));
        Assert.Equal(old.Thumbprint, loaded.Context.TargetCertificate.Thumbprint);

        storage.Save(["app.test"], File.ReadAllText(renewed.CertificatePath), File.ReadAllText(renewed.KeyPath));

        Assert.False(File.Exists(legacyKeyPath));
        Assert.Contains("PRIVATE KEY-----", File.ReadAllText(chainPath), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(chainPath));
        }

        var reloaded = Assert.Single(storage.LoadAll((path, e) => Assert.Fail($"{path}: {e.Message}")));
        Assert.Equal(renewed.Thumbprint, reloaded.Context.TargetCertificate.Thumbprint);
    }
}
