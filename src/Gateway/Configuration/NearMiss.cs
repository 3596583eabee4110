namespace Gateway.Configuration;

/// <summary>"Did you mean": the known name a mistyped one is closest to, when it is close enough to be a typo.</summary>
internal static class NearMiss
{
    /// <returns>The closest of <paramref name="known"/> (case ignored), or null when none is within a typo's reach.</returns>
    public static string? Suggest(string typed, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var name in known)
        {
            var distance = Distance(typed.ToUpperInvariant(), name.ToUpperInvariant());
            if (distance < bestDistance)
            {
                (best, bestDistance) = (name, distance);
            }
        }

        // One slip in a short name, about one in three in a long one: "Timout", "Intervall", "Gatway", "Destination".
        var reach = Math.Max(1, Math.Min(typed.Length, best?.Length ?? 0) / 3);
        return best is not null && bestDistance > 0 && bestDistance <= reach ? best : null;
    }

    /// <summary>" (did you mean 'X'?)", or nothing.</summary>
    public static string Hint(string typed, IEnumerable<string> known) =>
        Suggest(typed, known) is { } suggestion ? $" (did you mean '{suggestion}'?)" : "";

    /// <summary>Edits (insert, delete, replace, swap two neighbours) from one to the other.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
