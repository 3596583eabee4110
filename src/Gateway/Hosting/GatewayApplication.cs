using Gateway.Configuration;
using Gateway.Core;
using Gateway.Limits;
using Gateway.Reload;
using Gateway.Sockets;

namespace Gateway.Hosting;

/// <summary>Builds the whole gateway: configuration, services, listeners and the HTTP pipeline.</summary>
internal static class GatewayApplication
{
    /// <exception cref="ConfigValidationException">The configuration cannot be used; every problem is listed.</exception>
    /// <exception cref="CommandLineException">Bad command line.</exception>
    /// <exception cref="FileNotFoundException">The config file does not exist.</exception>
    /// <exception cref="SocketEngineChoiceException"><c>GATEWAY_SOCKET_ENGINE</c> names no engine this machine has.</exception>
    /// <param name="logger">An extra log destination (tests read what the gateway logs).</param>
    /// <param name="sockets">The edge's socket engine; by default the one <c>GATEWAY_SOCKET_ENGINE</c> names.</param>
    public static async Task<WebApplication> BuildAsync(string[] args, TimeProvider? time = null, ILoggerProvider? logger = null, SocketEngine? sockets = null)
    {
        var commandLine = CommandLine.Parse(args);
        if (!File.Exists(commandLine.ConfigFile))
        {
            // Said as --check says it: "does not exist" for a folder sends the operator looking for a file that is there.
            var what = Directory.Exists(commandLine.ConfigFile) ? "is a folder, not a file" : "does not exist";
            throw new FileNotFoundException($"The config file '{commandLine.ConfigFile}' {what} (pass another with --config FILE).", commandLine.ConfigFile);
        }

        time ??= TimeProvider.System;
        var factory = new GenerationFactory(GatewayFeatures.Create(time));
        var location = commandLine.Location;

        // Read before the first generation is: a save from here until the file is watched is then still seen.
        var fileAtStart = ConfigFileAtStart.Read(location.File);
        var (configuration, result) = await factory.BuildAsync(location, number: 1);
        var initial = result.Generation ?? throw new ConfigValidationException(result.Errors);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = commandLine.Remaining, ContentRootPath = commandLine.BaseDirectory });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddConfiguration(configuration!);

        // Under systemd (Type=notify): ready is signalled once the listeners are bound, logs go to the journal with levels.
        builder.Host.UseSystemd();
        builder.WebHost.UseSockets(InlineIo.Configure);

        GatewayLogging.Configure(builder, logger);

        builder.Services.AddSingleton(sockets ?? SocketEngines.FromEnvironment());
        GatewayServices.Add(builder.Services, time, location, factory, initial, fileAtStart);

        GatewayKestrel.Configure(builder.WebHost, initial, time);

        var app = builder.Build();
        GatewayServices.Start(app.Services);
        ConfigReloader.LogWarnings(app.Services.GetRequiredService<ILogger<ConfigReloader>>(), result.Warnings);
        Preload.Run();

        // The connection limit derived from the open-files limit counts what the started process holds (listeners,
        // Kestrel's threads, loaded assemblies).
        var descriptors = app.Services.GetRequiredService<DescriptorBudget>();
        var limiter = app.Services.GetRequiredService<ConnectionLimiter>();
        var generations = app.Services.GetRequiredService<GenerationStore>();
        app.Lifetime.ApplicationStarted.Register(() => descriptors.Started(generations.Current, limiter.Open));

        LiveLogging.Follow(generations, builder.Configuration);
        GatewayPipeline.Use(app);
        return app;
    }

    /// <summary><c>--check</c>: validates everything a start would, writes the verdict, starts nothing, writes nothing to disk.</summary>
    /// <returns><see cref="ExitCodes.Ok"/> when the configuration is usable, <see cref="ExitCodes.Invalid"/> when it is not.</returns>
    public static async Task<int> CheckAsync(string[] args, TextWriter output)
    {
        var commandLine = CommandLine.Parse(args);
        var factory = new GenerationFactory(GatewayFeatures.Create(TimeProvider.System));
        var (_, result) = await factory.BuildAsync(commandLine.Location, number: 1, dryRun: true);
        foreach (var warning in result.Warnings)
        {
            await output.WriteLineAsync($"warning: {warning}");
        }

        if (result.Errors.Count == 0)
        {
            await output.WriteLineAsync($"{commandLine.ConfigFile}: ok");
            return ExitCodes.Ok;
        }

        foreach (var problem in result.Errors)
        {
            await output.WriteLineAsync(problem.ToString());
        }

        return ExitCodes.Invalid;
    }

}
