using System.Text.Json.Nodes;
using Gateway.Hosting;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Certificates;

/// <summary>--check finds what would stop a start from keeping the self-signed certificate in Gateway:Certificates:Path, and writes nothing.</summary>
public sealed class CertificatesFolderTests
{
    [Theory]
    [InlineData("a-file", "is a file, not a folder")]
    [InlineData("a-file/certs", "is a file, so the folder")]
    [InlineData("taken", "self-signed.pem' is a folder")]
    public async Task A_certificates_path_a_start_could_not_use_is_an_error_beside_the_files_other_errors(string certificatesPath, string message)
    {
        var folder = Directory.CreateTempSubdirectory("gateway-certs-").FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "a-file"), "not a folder");
        Directory.CreateDirectory(Path.Combine(folder, "taken", "self-signed.pem"));
        var file = Path.Combine(folder, "appsettings.json");
        await File.WriteAllTextAsync(file, TestGateway.Compose(
            new JsonObject { ["ClientHello"] = new JsonObject { ["MaxBytes"] = "lots" }, ["Certificates"] = new JsonObject { ["Path"] = certificatesPath } },
            null));

        using var output = new StringWriter();
        var exitCode = await GatewayApplication.CheckAsync(["--check", "--config", file], output);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(exitCode == 2, output.ToString());
        Assert.Contains(lines, line => line.StartsWith("Gateway:ClientHello:MaxBytes: ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("Gateway:Certificates:Path: ", StringComparison.Ordinal) && line.Contains(message, StringComparison.Ordinal));
        Assert.Equal(["a-file", "appsettings.json", "taken"], Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_certificates_path_that_is_a_file_is_an_error_on_its_own()
    {
        var folder = Directory.CreateTempSubdirectory("gateway-certs-").FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "a-file"), "not a folder");
        var file = Path.Combine(folder, "appsettings.json");
        await File.WriteAllTextAsync(file, TestGateway.Compose(new JsonObject { ["Certificates"] = new JsonObject { ["Path"] = "a-file" } }, null));

        using var output = new StringWriter();
        var exitCode = await GatewayApplication.CheckAsync(["--check", "--config", file], output);

        Assert.True(exitCode == 2, output.ToString());
        Assert.StartsWith($"Gateway:Certificates:Path: '{Path.Combine(folder, "a-file")}' is a file, not a folder", output.ToString(), StringComparison.Ordinal);
    }
}
