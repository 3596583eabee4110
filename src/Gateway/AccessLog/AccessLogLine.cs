using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gateway.AccessLog;

/// <summary>Turns an entry into one line of the chosen format (docs/operations.md lists every field).</summary>
internal static class AccessLogLine
{
    public static void Write(AccessLogEntry entry, AccessLogFormat format, ArrayBufferWriter<byte> output)
    {
        if (format == AccessLogFormat.Json)
        {
            WriteJson(entry, output);
        }
        else
        {
            output.Write(Encoding.UTF8.GetBytes(Combined(entry)));
        }

        output.Write("\n"u8);
    }

    /// <summary>
    /// nginx's combined line - <c>$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
    /// "$http_referer" "$http_user_agent"</c> - then name=value fields. A tunnel's request is <c>"TUNNEL sni TCP"</c>.
    /// </summary>
    public static string Combined(AccessLogEntry entry)
    {
        var line = new StringBuilder(256);
        line.Append(entry.Client?.Address.ToString() ?? "-").Append(" - ").Append(Quoted(entry.User, quote: false))
            .Append(" [").Append(entry.Time.ToString("dd/MMM/yyyy:HH:mm:ss zzz", CultureInfo.InvariantCulture).Remove(24, 1)).Append("] \"");
        if (entry.Tunnel)
        {
            line.Append("TUNNEL ").Append(Quoted(entry.Sni ?? "-", quote: true)).Append(" TCP\" - ");
        }
        else
        {
            line.Append(Quoted(entry.Method, quote: true)).Append(' ').Append(Quoted(entry.Target, quote: true)).Append(' ')
                .Append(Quoted(entry.Protocol, quote: true)).Append("\" ").Append(entry.Status.ToString(CultureInfo.InvariantCulture)).Append(' ');
        }

        line.Append(entry.BytesOut?.ToString(CultureInfo.InvariantCulture) ?? "-")
            .Append(" \"").Append(Quoted(entry.Referer, quote: true)).Append("\" \"").Append(Quoted(entry.UserAgent, quote: true)).Append('"');
        Field(line, "client_port", entry.Client?.Port.ToString(CultureInfo.InvariantCulture));
        Field(line, "host", entry.Host);
        Field(line, "sni", entry.Sni);
        Field(line, "route", entry.Route);
        Field(line, "cluster", entry.Cluster);
        Field(line, "destination", entry.Destination);
        Field(line, "duration", Seconds(entry.Duration));
        Field(line, "backend_time", entry.BackendTime is { } backend ? Seconds(backend) : null);
        Field(line, "bytes_in", entry.BytesIn?.ToString(CultureInfo.InvariantCulture));
        Field(line, "tls", entry.Tls);
        Field(line, "answered", entry.Answered);
        Field(line, "end", entry.End);
        return line.ToString();
    }

    private static void WriteJson(AccessLogEntry entry, ArrayBufferWriter<byte> output)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("time", entry.Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        json.WriteString("type", entry.Tunnel ? "tunnel" : "request");
        Json(json, "client", entry.Client?.Address.ToString());
        if (entry.Client is { } client)
        {
            json.WriteNumber("client_port", client.Port);
        }

        Json(json, "host", entry.Host);
        Json(json, "sni", entry.Sni);
        Json(json, "method", entry.Method);
        Json(json, "target", entry.Target);
        Json(json, "protocol", entry.Protocol);
        if (!entry.Tunnel)
        {
            json.WriteNumber("status", entry.Status);
        }

        Number(json, "bytes_in", entry.BytesIn);
        Number(json, "bytes_out", entry.BytesOut);
        json.WriteNumber("duration", Math.Round(entry.Duration.TotalSeconds, 6));
        if (entry.BackendTime is { } backend)
        {
            json.WriteNumber("backend_time", Math.Round(backend.TotalSeconds, 6));
        }

        Json(json, "route", entry.Route);
        Json(json, "cluster", entry.Cluster);
        Json(json, "destination", entry.Destination);
        Json(json, "tls", entry.Tls);
        Json(json, "user", entry.User);
        Json(json, "user_agent", entry.UserAgent);
        Json(json, "referer", entry.Referer);
        Json(json, "answered", entry.Answered);
        Json(json, "end", entry.End);
        json.WriteEndObject();
    }

    private static void Json(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static void Number(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
    }

    private static string Seconds(TimeSpan duration) => duration.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);

    private static void Field(StringBuilder line, string name, string? value) =>
        line.Append(' ').Append(name).Append('=').Append(Quoted(value, quote: false));

    /// <summary>As nginx escapes: a quote, a backslash, a control character or (outside quotes) a space as \xHH; nothing as "-".</summary>
    private static string Quoted(string? value, bool quote)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "-";
        }

        StringBuilder? escaped = null;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var escape = c is '"' or '\\' || c < 0x20 || c == 0x7f || (!quote && c == ' ');
            if (escape)
            {
                escaped ??= new StringBuilder(value, 0, i, value.Length + 8);
                escaped.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:X2}");
            }
            else
            {
                escaped?.Append(c);
            }
        }

        return escaped?.ToString() ?? value;
    }
}
