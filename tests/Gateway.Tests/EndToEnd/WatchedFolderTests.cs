using System.Text.Json.Nodes;
using Gateway.Sni;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.EndToEnd;

/// <summary>The config file's folder deleted and written anew (a deploy tool replacing the whole folder) is watched again.</summary>
public sealed class WatchedFolderTests
{
    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    public async Task A_config_folder_deleted_and_written_anew_is_reloaded(bool renamedIntoPlace, bool waitForTheWatch)
    {
        var (folder, started) = await StartInFolderAsync();
        await using var gateway = started;

        Directory.Delete(folder, recursive: true);
        await Poll.UntilAsync(() => gateway.Generations.LastFailure is not null, "the missing file is reported", TimeSpan.FromSeconds(10));

        // Written anew once the gateway has noticed the folder gone, and has watched the parent for it; or at once,
        // while the reload that found it gone is still between its read and that watch.
        if (waitForTheWatch)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        var written = renamedIntoPlace ? folder + ".new" : folder;
        Directory.CreateDirectory(written);
        await File.WriteAllTextAsync(Path.Combine(written, "appsettings.json"), TestGateway.Compose(ClientHello(8192), null));
        if (renamedIntoPlace)
        {
            Directory.Move(written, folder);
        }

        await Poll.UntilAsync(() => gateway.Generations.Current.Get<ClientHelloConfig>().MaxBytes == 8192 && gateway.Generations.LastFailure is null,
            "the file in the folder written anew is applied", TimeSpan.FromSeconds(10));

        // And the folder is watched again: a later edit applies too.
        await File.WriteAllTextAsync(Path.Combine(folder, "appsettings.json"), TestGateway.Compose(ClientHello(2048), null));
        await Poll.UntilAsync(() => gateway.Generations.Current.Get<ClientHelloConfig>().MaxBytes == 2048, "a later edit is applied", TimeSpan.FromSeconds(10));
    }

    /// <summary>Deleted and made again before the reload reads it: the reload applies the new file, and must watch the new folder.</summary>
    [Fact]
    public async Task A_config_folder_replaced_at_once_is_watched_again()
    {
        var (folder, started) = await StartInFolderAsync();
        await using var gateway = started;

        Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "appsettings.json"), TestGateway.Compose(ClientHello(8192), null));
        await Poll.UntilAsync(() => gateway.Generations.Current.Get<ClientHelloConfig>().MaxBytes == 8192, "the file in the folder made again is applied", TimeSpan.FromSeconds(10));

        await File.WriteAllTextAsync(Path.Combine(folder, "appsettings.json"), TestGateway.Compose(ClientHello(2048), null));
        await Poll.UntilAsync(() => gateway.Generations.Current.Get<ClientHelloConfig>().MaxBytes == 2048, "a later edit in that folder is applied", TimeSpan.FromSeconds(10));
    }

    /// <summary>A gateway whose config file (ClientHello:MaxBytes 4096) is in a folder of its own, "conf", under a temp folder.</summary>
    private static async Task<(string Folder, TestGateway Gateway)> StartInFolderAsync()
    {
        var folder = Path.Combine(Directory.CreateTempSubdirectory("gateway-folder-").FullName, "conf");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "appsettings.json"), TestGateway.Compose(ClientHello(4096), null));
        return (folder, await TestGateway.StartInAsync(folder, null));
    }

    private static JsonObject ClientHello(int maxBytes) => new() { ["ClientHello"] = new JsonObject { ["MaxBytes"] = maxBytes } };
}
