using System.Net;
using Gateway.Configuration;
using Gateway.Core;

namespace Gateway.Admin;

/// <summary>Reads <c>Gateway:Admin</c> and refuses an unauthenticated admin listener anywhere but loopback.</summary>
internal static class AdminConfigReader
{
    public static AdminConfig Read(IConfigurationSection gateway, ConfigErrors errors)
    {
        var listeners = gateway.GetSection("Listeners");
        var listen = ListenAddress.Read(listeners, "Admin", "127.0.0.1:8404", required: false, errors);

        var section = gateway.GetSection("Admin");
        ConfigReader.RejectUnknownKeys(section, errors, "Users", "AllowedNetworks");
        var users = PasswordUsers.Read(section.GetSection("Users"), errors);

        var networks = Networks.Read(section.GetSection("AllowedNetworks"), errors);

        if (listen is not null && users.Count == 0 && !IsLoopback(listen))
        {
            errors.Add(listeners.Path + ":Admin", $"the admin listener on {listen} would be reachable beyond this machine without a password; " +
                "configure Gateway:Admin:Users (see Gateway --hash-password) or bind it to 127.0.0.1");
        }

        return new AdminConfig(listen, users, networks);
    }

    private static bool IsLoopback(HostPort listen) =>
        listen.Address is { } ip ? IPAddress.IsLoopback(ip) : listen.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase);
}
