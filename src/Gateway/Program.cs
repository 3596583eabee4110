using Gateway.Configuration;
using Gateway.Hosting;

try
{
    if (args.Contains("--check"))
    {
        return await GatewayApplication.CheckAsync(args, Console.Out);
    }

    var app = await GatewayApplication.BuildAsync(args);
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is ConfigValidationException or ArgumentException or FileNotFoundException)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
