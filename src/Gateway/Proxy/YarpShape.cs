using System.Reflection;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Proxy;

/// <summary>
/// The keys YARP's <c>ReverseProxy</c> section may hold, derived from YARP's public config types the way its
/// configuration reader maps them: a property is a key, a dictionary is a level of names the operator chooses, a list
/// is a level of indices. YARP's reader ignores whatever else a section holds; reading the model from the types keeps
/// every key a new YARP version adds accepted without a change here.
/// </summary>
internal abstract record YarpShape
{
    /// <summary>The section itself: <c>Routes</c> and <c>Clusters</c>, each entry named by its id.</summary>
    public static Fields ReverseProxy { get; } = new(
        new Dictionary<string, YarpShape>(StringComparer.OrdinalIgnoreCase)
        {
            ["Routes"] = new Named(Of(typeof(RouteConfig), idFromName: true)),
            ["Clusters"] = new Named(Of(typeof(ClusterConfig), idFromName: true)),
        },
        IdFromName: null);

    /// <summary>A section with fixed keys (a config object's properties).</summary>
    /// <param name="IdFromName">The id YARP takes from the entry's name (<c>RouteId</c>), which is not a key.</param>
    public sealed record Fields(IReadOnlyDictionary<string, YarpShape> Keys, string? IdFromName) : YarpShape;

    /// <summary>A section whose keys the operator names (route, cluster and destination ids, metadata, transform keys).</summary>
    public sealed record Named(YarpShape Entry) : YarpShape;

    /// <summary>A list: keys are indices.</summary>
    public sealed record Indexed(YarpShape Item) : YarpShape;

    /// <summary>A value of <see cref="Type"/> (string, number, bool, TimeSpan, enum, Version, Uri).</summary>
    /// <param name="Backend">
    /// A destination's <c>Address</c> or <c>Health</c>: YARP keeps them as strings and parses them only per request, where
    /// anything but an absolute http(s) URL fails the request (or is dialled as another scheme), so they are read as
    /// such a URL here.
    /// </param>
    public sealed record Scalar(Type Type, bool Backend = false) : YarpShape;

    /// <param name="idFromName">
    /// An entry of <c>Routes</c> or <c>Clusters</c>: YARP sets its id (<c>RouteId</c>, <c>ClusterId</c>) from the entry's
    /// name and does not read it as a key.
    /// </param>
    private static YarpShape Of(Type type, bool idFromName = false)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string) || type.IsPrimitive || type == typeof(TimeSpan) || type == typeof(Version) || type == typeof(Uri))
        {
            return new Scalar(type);
        }

        if (type.IsEnum)
        {
            // A set of flags (SslProtocols) is written as a list of names: ["Tls12", "Tls13"].
            return type.IsDefined(typeof(FlagsAttribute)) ? new Indexed(new Scalar(type)) : new Scalar(type);
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>))
        {
            return new Named(Of(type.GetGenericArguments()[1]));
        }

        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>))
        {
            return new Indexed(Of(type.GetGenericArguments()[0]));
        }

        if (!type.IsClass || type.IsGenericType)
        {
            throw new NotSupportedException($"YARP's config type {type} has no mapping to configuration keys");
        }

        var id = type.Name.Replace("Config", "Id", StringComparison.Ordinal);
        var keys = new Dictionary<string, YarpShape>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is { IsPublic: true } && !(idFromName && property.Name == id))
            {
                keys.Add(property.Name, type == typeof(DestinationConfig) && property.Name is nameof(DestinationConfig.Address) or nameof(DestinationConfig.Health)
                    ? new Scalar(typeof(Uri), Backend: true)
                    : Of(property.PropertyType));
            }
        }

        return new Fields(keys, idFromName ? id : null);
    }
}
