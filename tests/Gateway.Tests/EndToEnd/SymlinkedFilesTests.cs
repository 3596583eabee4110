using System.Text.Json.Nodes;
using Gateway.Sni;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

/// <summary>
/// A config or certificate file that is a symlink into another folder is reloaded when what it points at changes
/// there: certbot's renewal points its <c>live/</c> link at a new <c>archive/</c> file, and a config file linked
/// into a checkout is edited in the checkout.
/// </summary>
public sealed class SymlinkedFilesTests
{
    [Fact]
    public async Task A_certificate_linked_to_certbots_live_link_is_served_anew_when_certbot_relinks_it()
    {
        var (first, second) = (TestCertificates.Get("app.test"), TestCertificates.Get("renewed.app.test"));
        var root = Directory.CreateTempSubdirectory("gateway-links-").FullName;
        var (archive, live, tls) = (Path.Combine(root, "archive"), Path.Combine(root, "live"), Path.Combine(root, "tls"));
        foreach (var folder in new[] { archive, live, tls })
        {
            Directory.CreateDirectory(folder);
        }

        File.Copy(first.CertificatePath, Path.Combine(archive, "fullchain1.pem"));
        File.Copy(first.KeyPath, Path.Combine(archive, "privkey1.pem"));
        File.CreateSymbolicLink(Path.Combine(live, "fullchain.pem"), "../archive/fullchain1.pem");
        File.CreateSymbolicLink(Path.Combine(live, "privkey.pem"), "../archive/privkey1.pem");
        File.CreateSymbolicLink(Path.Combine(tls, "app.crt"), Path.Combine(live, "fullchain.pem"));
        File.CreateSymbolicLink(Path.Combine(tls, "app.key"), Path.Combine(live, "privkey.pem"));
        var section = new JsonObject
        {
            ["Tls"] = new JsonObject { ["Certificates"] = new JsonObject { ["app.test"] = new JsonObject { ["CertificatePath"] = Path.Combine(tls, "app.crt"), ["KeyPath"] = Path.Combine(tls, "app.key") } } },
        };
        await using var gateway = await TestGateway.StartAsync(section, null);
        Assert.Equal(first.Thumbprint, await ServedThumbprintAsync(gateway));

        // As certbot renews: the new files beside the old ones in archive/, then each live/ link replaced.
        File.Copy(second.CertificatePath, Path.Combine(archive, "fullchain2.pem"));
        File.Copy(second.KeyPath, Path.Combine(archive, "privkey2.pem"));
        foreach (var (link, target) in new[] { ("fullchain.pem", "../archive/fullchain2.pem"), ("privkey.pem", "../archive/privkey2.pem") })
        {
            File.CreateSymbolicLink(Path.Combine(live, link + ".new"), target);
            File.Move(Path.Combine(live, link + ".new"), Path.Combine(live, link), overwrite: true);
        }

        await Poll.UntilAsync(() => gateway.Generations.Current.Number >= 2 && gateway.Generations.LastFailure is null, "the relinked certificate is reloaded", TimeSpan.FromSeconds(10));
        Assert.Equal(second.Thumbprint, await ServedThumbprintAsync(gateway));
    }

    [Fact]
    public async Task A_config_file_linked_into_another_folder_is_reloaded_when_edited_there()
    {
        var root = Directory.CreateTempSubdirectory("gateway-links-").FullName;
        var (served, checkout) = (Path.Combine(root, "served"), Path.Combine(root, "checkout"));
        Directory.CreateDirectory(served);
        Directory.CreateDirectory(checkout);
        var target = Path.Combine(checkout, "gateway.json");
        await File.WriteAllTextAsync(target, TestGateway.Compose(ClientHello(4096), null));
        File.CreateSymbolicLink(Path.Combine(served, "appsettings.json"), "../checkout/gateway.json");
        await using var gateway = await TestGateway.StartInAsync(served, null);

        // Edited in place, as `git pull` or an editor without backups writes it.
        await File.WriteAllTextAsync(target, TestGateway.Compose(ClientHello(8192), null));

        await Poll.UntilAsync(() => gateway.Generations.Current.Get<ClientHelloConfig>().MaxBytes == 8192, "the edit behind the link is applied", TimeSpan.FromSeconds(10));
    }

    private static JsonObject ClientHello(int maxBytes) => new() { ["ClientHello"] = new JsonObject { ["MaxBytes"] = maxBytes } };

    private static async Task<string?> ServedThumbprintAsync(TestGateway gateway)
    {
        using var client = new GatewayClient(gateway.Https);
        using var response = await client.Http.GetAsync(client.Url("app.test"));
        return client.ServerCertificateThumbprint;
    }
}
