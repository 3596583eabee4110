using System.Runtime.CompilerServices;
using Gateway.Hosting;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Tests.Architecture;

/// <summary>
/// Gateway's L4 side has clusters, destinations and routes of its own; calling them what YARP calls its own makes
/// every file that uses both read wrong and need aliases. No Gateway type takes the simple name of a public YARP type.
/// </summary>
public sealed class NamingTests
{
    [Fact]
    public void No_type_shadows_a_YARP_type()
    {
        var yarp = typeof(IHttpForwarder).Assembly.GetExportedTypes()
            .GroupBy(type => SimpleName(type), StringComparer.Ordinal)
            .ToDictionary(group => group.Key, group => group.Select(type => type.FullName).Order(StringComparer.Ordinal).First(), StringComparer.Ordinal);
        Assert.True(yarp.Count > 50, $"only {yarp.Count} public YARP types found");

        var shadows = typeof(GatewayApplication).Assembly.GetTypes()
            .Where(type => type.Namespace is { } ns && NamespaceGraph.IsGatewayNamespace(ns) && !type.IsDefined(typeof(CompilerGeneratedAttribute), false))
            .Where(type => yarp.ContainsKey(SimpleName(type)))
            .Select(type => $"  {type.FullName!.Replace('+', '.')} shadows {yarp[SimpleName(type)]}")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(shadows.Count == 0, "Gateway types named like a public YARP type (rename them):\n" + string.Join("\n", shadows));
    }

    private static string SimpleName(Type type)
    {
        var tick = type.Name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? type.Name : type.Name[..tick];
    }
}
