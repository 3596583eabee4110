using Gateway.Configuration;

namespace Gateway.Core;

/// <summary>Reads the users of the admin listener and of L7 routes alike.</summary>
internal static class PasswordUsers
{
    /// <summary>Users as "{name}": { "PasswordHash": "..." }, hashes made by <c>Gateway --hash-password</c>.</summary>
    public static Dictionary<string, string> Read(IConfigurationSection section, ConfigErrors errors)
    {
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var user in section.GetChildren())
        {
            ConfigReader.RejectUnknownKeys(user, errors, "PasswordHash");
            var hash = ConfigReader.ReadString(user, "PasswordHash");
            if (!PasswordHash.IsWellFormed(hash))
            {
                errors.Add(user.Path + ":PasswordHash", "not a password hash; make one with: Gateway --hash-password (it reads the password from standard input)");
                continue;
            }

            users[user.Key] = hash!;
        }

        return users;
    }
}
