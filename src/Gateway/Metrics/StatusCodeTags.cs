using System.Globalization;

namespace Gateway.Metrics;

/// <summary>The code tag of <c>gateway.proxy.requests</c>: the status as text, without an allocation per request.</summary>
internal static class StatusCodeTags
{
    private const int First = 100;

    private static readonly string[] Texts = [.. Enumerable.Range(First, 500).Select(code => code.ToString(CultureInfo.InvariantCulture))];

    public static string Of(int status) => (uint)(status - First) < (uint)Texts.Length
        ? Texts[status - First]
        : status.ToString(CultureInfo.InvariantCulture);
}
