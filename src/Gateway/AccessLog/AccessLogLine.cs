using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gateway.AccessLog;

/// <summary>
/// Turns an entry into one line of the chosen format (docs/operations.md lists every field). Not thread-safe: each
/// thread's <see cref="AccessLogShard"/> has its own.
/// </summary>
internal sealed class AccessLogLine : IDisposable
{
    // "05/Dec/2026:11:09:41 +0000": the same for every line of a second, so formatted once a second.
    private readonly byte[] _date = new byte[32];
    private int _dateLength;
    private long _dateSecond = long.MinValue;
    private Utf8JsonWriter? _json;

    public void Write(in AccessLogEntry entry, AccessLogFormat format, ArrayBufferWriter<byte> output)
    {
        if (format == AccessLogFormat.Json)
        {
            WriteJson(entry, output);
        }
        else
        {
            WriteCombined(entry, output);
        }

        output.Write("\n"u8);
    }

    /// <summary>
    /// nginx's combined line - <c>$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
    /// "$http_referer" "$http_user_agent"</c> - then name=value fields. A tunnel's request is <c>"TUNNEL sni TCP"</c>.
    /// Written straight into the buffer, on the request's own thread.
    /// </summary>
    private void WriteCombined(in AccessLogEntry entry, ArrayBufferWriter<byte> output)
    {
        if (entry.ClientAddress is { } client)
        {
            Format(output, client);
        }
        else
        {
            output.Write("-"u8);
        }

        output.Write(" - "u8);
        Escaped(output, entry.User, quote: false);
        output.Write(" ["u8);
        output.Write(Date(entry.Time));
        output.Write("] \""u8);
        if (entry.Tunnel)
        {
            output.Write("TUNNEL "u8);
            Escaped(output, entry.Sni, quote: true);
            output.Write(" TCP\" - "u8);
        }
        else
        {
            Escaped(output, entry.Method, quote: true);
            output.Write(" "u8);
            Escaped(output, entry.Target, quote: true);
            output.Write(" "u8);
            Escaped(output, entry.Protocol, quote: true);
            output.Write("\" "u8);
            Format(output, entry.Status);
            output.Write(" "u8);
        }

        Number(output, entry.BytesOut);
        output.Write(" \""u8);
        Escaped(output, entry.Referer, quote: true);
        output.Write("\" \""u8);
        Escaped(output, entry.UserAgent, quote: true);
        output.Write("\" client_port="u8);
        if (entry.ClientAddress is not null)
        {
            Format(output, entry.ClientPort);
        }
        else
        {
            output.Write("-"u8);
        }

        Field(output, " host="u8, entry.Host);
        Field(output, " sni="u8, entry.Sni);
        Field(output, " route="u8, entry.Route);
        Field(output, " cluster="u8, entry.Cluster);
        Field(output, " destination="u8, entry.Destination);
        output.Write(" duration="u8);
        Seconds(output, entry.Duration);
        output.Write(" backend_time="u8);
        if (entry.BackendTime is { } backend)
        {
            Seconds(output, backend);
        }
        else
        {
            output.Write("-"u8);
        }

        output.Write(" bytes_in="u8);
        Number(output, entry.BytesIn);
        Field(output, " tls="u8, entry.Tls);
        Field(output, " answered="u8, entry.Answered);
        Field(output, " end="u8, entry.End);
    }

    public void Dispose() => _json?.Dispose();

    private ReadOnlySpan<byte> Date(DateTimeOffset time)
    {
        var second = time.Ticks / TimeSpan.TicksPerSecond;
        if (second != _dateSecond || _dateLength == 0)
        {
            Span<char> text = stackalloc char[32];
            time.TryFormat(text, out var length, "dd/MMM/yyyy:HH:mm:ss zzz", CultureInfo.InvariantCulture);
            text = text[..length];

            // nginx writes the offset as +0000, .NET as +00:00.
            var colon = text.LastIndexOf(':');
            text[(colon + 1)..].CopyTo(text[colon..]);
            _dateLength = Encoding.ASCII.GetBytes(text[..^1], _date);
            _dateSecond = second;
        }

        return _date.AsSpan(0, _dateLength);
    }

    private void WriteJson(in AccessLogEntry entry, ArrayBufferWriter<byte> output)
    {
        if (_json is null)
        {
            _json = new Utf8JsonWriter(output);
        }
        else
        {
            _json.Reset(output);
        }

        var json = _json;
        json.WriteStartObject();
        Span<byte> time = stackalloc byte[32];
        entry.Time.UtcDateTime.TryFormat(time, out var written, "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        json.WriteString("time"u8, time[..written]);
        json.WriteString("type"u8, entry.Tunnel ? "tunnel"u8 : "request"u8);
        if (entry.ClientAddress is { } client)
        {
            Span<char> address = stackalloc char[64];
            json.WriteString("client"u8, client.TryFormat(address, out var length) ? address[..length] : client.ToString());
            json.WriteNumber("client_port"u8, entry.ClientPort);
        }

        Json(json, "host"u8, entry.Host);
        Json(json, "sni"u8, entry.Sni);
        Json(json, "method"u8, entry.Method);
        Json(json, "target"u8, entry.Target);
        Json(json, "protocol"u8, entry.Protocol);
        if (!entry.Tunnel)
        {
            json.WriteNumber("status"u8, entry.Status);
        }

        Number(json, "bytes_in"u8, entry.BytesIn);
        Number(json, "bytes_out"u8, entry.BytesOut);
        json.WriteNumber("duration"u8, Math.Round(entry.Duration.TotalSeconds, 6));
        if (entry.BackendTime is { } backend)
        {
            json.WriteNumber("backend_time"u8, Math.Round(backend.TotalSeconds, 6));
        }

        Json(json, "route"u8, entry.Route);
        Json(json, "cluster"u8, entry.Cluster);
        Json(json, "destination"u8, entry.Destination);
        Json(json, "tls"u8, entry.Tls);
        Json(json, "user"u8, entry.User);
        Json(json, "user_agent"u8, entry.UserAgent);
        Json(json, "referer"u8, entry.Referer);
        Json(json, "answered"u8, entry.Answered);
        Json(json, "end"u8, entry.End);
        json.WriteEndObject();
        json.Flush();
    }

    private static void Json(Utf8JsonWriter json, ReadOnlySpan<byte> name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static void Number(Utf8JsonWriter json, ReadOnlySpan<byte> name, long? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
    }

    private static void Format<T>(ArrayBufferWriter<byte> output, T value)
        where T : IUtf8SpanFormattable
    {
        var span = output.GetSpan(64);
        if (!value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture))
        {
            // Only an IPv6 address with a long scope id gets here.
            output.Write(Encoding.UTF8.GetBytes(value.ToString() ?? "-"));
            return;
        }

        output.Advance(written);
    }

    private static void Number(ArrayBufferWriter<byte> output, long? value)
    {
        if (value is { } number)
        {
            Format(output, number);
        }
        else
        {
            output.Write("-"u8);
        }
    }

    private static void Seconds(ArrayBufferWriter<byte> output, TimeSpan duration)
    {
        var span = output.GetSpan(32);
        duration.TotalSeconds.TryFormat(span, out var written, "0.000", CultureInfo.InvariantCulture);
        output.Advance(written);
    }

    private static void Field(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> name, string? value)
    {
        output.Write(name);
        Escaped(output, value, quote: false);
    }

    /// <summary>As nginx escapes: a quote, a backslash, a control character or (outside quotes) a space as \xHH; nothing as "-".</summary>
    private static void Escaped(ArrayBufferWriter<byte> output, string? value, bool quote)
    {
        if (string.IsNullOrEmpty(value))
        {
            output.Write("-"u8);
            return;
        }

        var rest = value.AsSpan();
        while (!rest.IsEmpty)
        {
            var plain = 0;
            while (plain < rest.Length && !MustEscape(rest[plain], quote))
            {
                plain++;
            }

            if (plain > 0)
            {
                var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(plain));
                output.Advance(Encoding.UTF8.GetBytes(rest[..plain], span));
                rest = rest[plain..];
            }

            if (!rest.IsEmpty)
            {
                var span = output.GetSpan(4);
                span[0] = (byte)'\\';
                span[1] = (byte)'x';
                span[2] = (byte)"0123456789ABCDEF"[rest[0] >> 4];
                span[3] = (byte)"0123456789ABCDEF"[rest[0] & 0xF];
                output.Advance(4);
                rest = rest[1..];
            }
        }
    }

    private static bool MustEscape(char c, bool quote) => c is '"' or '\\' || c < 0x20 || c == 0x7f || (!quote && c == ' ');
}
