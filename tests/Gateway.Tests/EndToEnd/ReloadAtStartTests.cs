using System.Text.Json.Nodes;
using Gateway.Configuration;
using Gateway.Hosting;
using Gateway.Sni;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.EndToEnd;

/// <summary>A save made while the gateway starts, after its first read of the file and before the file is watched, is applied.</summary>
public sealed class ReloadAtStartTests
{
    [Fact]
    public async Task A_save_between_the_first_read_and_the_start_of_the_watch_is_applied()
    {
        var directory = Directory.CreateTempSubdirectory("gateway-start-").FullName;
        var file = Path.Combine(directory, "appsettings.json");
        await File.WriteAllTextAsync(file, TestGateway.Compose(ClientHello(4096), null));
        var app = await GatewayApplication.BuildAsync(["--config", file]);
        try
        {
            // Saved as an editor saves: a temporary file renamed over the one already read.
            await File.WriteAllTextAsync(file + ".tmp", TestGateway.Compose(ClientHello(8192), null));
            File.Move(file + ".tmp", file, overwrite: true);
            await app.StartAsync();

            var generations = app.Services.GetRequiredService<GenerationStore>();
            await Poll.UntilAsync(() => generations.Current.Get<ClientHelloConfig>().MaxBytes == 8192, "the save made during the start is applied",
                TimeSpan.FromSeconds(10), () => $"generation {generations.Current.Number} serves MaxBytes {generations.Current.Get<ClientHelloConfig>().MaxBytes}");
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_start_with_no_save_applies_no_reload()
    {
        await using var gateway = await TestGateway.StartAsync(ClientHello(4096), null);

        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.Equal(1, gateway.Generations.Current.Number);
        Assert.Null(gateway.Generations.LastFailure);
    }

    private static JsonObject ClientHello(int maxBytes) => new() { ["ClientHello"] = new JsonObject { ["MaxBytes"] = maxBytes } };
}
