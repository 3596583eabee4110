using System.Globalization;

namespace Gateway.Configuration;

/// <summary>
/// Durations as operators write them: "00:00:05" (YARP's format) or "500ms", "5s", "30m", "1h", "1d"; never a bare
/// number, whose unit a reader would have to guess.
/// </summary>
internal static class Duration
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        text = text.Trim();

        // TimeSpan's "c" format reads a bare number as days: "5" would be five days, not the five seconds meant.
        if (text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out value))
        {
            return value >= TimeSpan.Zero;
        }

        var (unit, digits) = text.EndsWith("ms", StringComparison.OrdinalIgnoreCase)
            ? (TimeSpan.FromMilliseconds(1), text[..^2])
            : text.Length > 1 ? char.ToLowerInvariant(text[^1]) switch
            {
                's' => (TimeSpan.FromSeconds(1), text[..^1]),
                'm' => (TimeSpan.FromMinutes(1), text[..^1]),
                'h' => (TimeSpan.FromHours(1), text[..^1]),
                'd' => (TimeSpan.FromDays(1), text[..^1]),
                _ => (TimeSpan.Zero, text),
            } : (TimeSpan.Zero, text);

        if (unit == TimeSpan.Zero
            || !double.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            || double.IsNaN(amount) || amount < 0 || amount * unit.Ticks > TimeSpan.MaxValue.Ticks)
        {
            value = default;
            return false;
        }

        value = TimeSpan.FromTicks((long)(amount * unit.Ticks));
        return true;
    }

    public static string Format(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
