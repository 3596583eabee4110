using Gateway.Configuration;
using Gateway.Hosting;

// Before anything touches a socket: the runtime reads the switch once.
InlineIo.Enable();

try
{
    if (args.Contains("--hash-password"))
    {
        // The password comes on standard input, never on the command line (where ps and shell history see it).
        var password = Console.IsInputRedirected ? Console.In.ReadLine() : ReadHidden();
        if (string.IsNullOrEmpty(password))
        {
            await Console.Error.WriteLineAsync("No password given. Usage: echo -n 'secret' | Gateway --hash-password");
            return 2;
        }

        Console.WriteLine(Gateway.Admin.PasswordHash.Create(password));
        return 0;
    }

    if (args.Contains("--check"))
    {
        return await GatewayApplication.CheckAsync(args, Console.Out);
    }

    var app = await GatewayApplication.BuildAsync(args);
    try
    {
        await app.StartAsync();
    }
    catch (IOException e)
    {
        // Most often "address already in use" or a port below 1024 without the capability to bind it.
        await Console.Error.WriteLineAsync($"Cannot start the listeners: {e.Message}");
        return 2;
    }

    await app.WaitForShutdownAsync();
    return 0;
}
catch (Exception e) when (e is ConfigValidationException or ArgumentException or FileNotFoundException)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}

static string ReadHidden()
{
    Console.Error.Write("Password: ");
    var password = new System.Text.StringBuilder();
    for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
    {
        if (key.Key == ConsoleKey.Backspace && password.Length > 0)
        {
            password.Length--;
        }
        else if (!char.IsControl(key.KeyChar))
        {
            password.Append(key.KeyChar);
        }
    }

    Console.Error.WriteLine();
    return password.ToString();
}
