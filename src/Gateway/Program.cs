using Gateway.Configuration;
using Gateway.Hosting;

try
{
    var app = GatewayApplication.Build(args);
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is ConfigValidationException or ArgumentException or FileNotFoundException)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
