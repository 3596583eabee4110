using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// BIND 9's named, authoritative for <see cref="Zone"/> on a free loopback port, taking RFC 2136 updates signed with
/// a TSIG key made for this instance. Everything lives in a temporary folder: nothing under /etc/bind is read.
/// </summary>
public sealed class Bind9 : IAsyncDisposable
{
    public const string Zone = "gw-test.example";
    public const string KeyName = "gateway-acme";

    private readonly Process _named;
    private readonly string _directory;

    private Bind9(Process named, string directory, int port, string secret)
    {
        _named = named;
        _directory = directory;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
        Secret = secret;
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>The TSIG secret, base64, for the algorithm it was started with (hmac-sha256 unless told).</summary>
    public string Secret { get; }

    /// <summary>The file tsig-keygen would write for the key: what TsigSecretFile may point at.</summary>
    public string KeyFile => Path.Combine(_directory, "key.conf");

    public static async Task<Bind9> StartAsync(string algorithm = "hmac-sha256")
    {
        var directory = Directory.CreateTempSubdirectory("gateway-bind9-").FullName;
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        // One port for UDP and TCP: free for UDP now, and TCP's is checked by named itself (it fails to start otherwise).
        var port = Pebble.FreePort(SocketType.Dgram, ProtocolType.Udp);
        await File.WriteAllTextAsync(Path.Combine(directory, "key.conf"), $$"""
            key "{{KeyName}}" {
                algorithm {{algorithm}};
                secret "{{secret}}";
            };
            """);
        await File.WriteAllTextAsync(Path.Combine(directory, "zone.db"), $"""
            $TTL 60
            @   IN SOA ns1.{Zone}. hostmaster.{Zone}. 1 60 60 600 60
            @   IN NS  ns1.{Zone}.
            ns1 IN A   127.0.0.1
            """ + "\n");
        var conf = Path.Combine(directory, "named.conf");
        await File.WriteAllTextAsync(conf, $$"""
            include "{{directory}}/key.conf";
            options {
                directory "{{directory}}";
                pid-file none;
                listen-on port {{port}} { 127.0.0.1; };
                listen-on-v6 { none; };
                recursion no;
                dnssec-validation no;
                notify no;
            };
            controls { };
            zone "{{Zone}}" {
                type primary;
                file "{{directory}}/zone.db";
                allow-update { key "{{KeyName}}"; };
            };
            """);

        var start = new ProcessStartInfo("named") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-g", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c", conf })
        {
            start.ArgumentList.Add(argument);
        }

        var named = Process.Start(start) ?? throw new InvalidOperationException("named did not start");
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        named.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        named.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        named.BeginOutputReadLine();
        named.BeginErrorReadLine();
        var instance = new Bind9(named, directory, port, secret);
        try
        {
            await Poll.UntilAsync(async () => !named.HasExited && await instance.QueryAsync(Zone, RecordType.Soa) is { ReturnCode: ReturnCode.NoError }, TimeSpan.FromSeconds(20),
                "named answers for its zone");
        }
        catch (Exception e)
        {
            await instance.DisposeAsync();
            throw new InvalidOperationException("named did not come up:\n" + string.Join("\n", log), e);
        }

        return instance;
    }

    /// <summary>The TXT values at <paramref name="name"/>, asked of this server directly.</summary>
    public async Task<List<string>> TxtAsync(string name)
    {
        var answer = await QueryAsync(name, RecordType.Txt) ?? throw new InvalidOperationException("named did not answer");
        return [.. answer.AnswerRecords.OfType<TxtRecord>().Select(r => r.TextData)];
    }

    public async Task<DnsMessage?> QueryAsync(string name, RecordType type)
    {
        using var client = new DnsClient([IPAddress.Loopback], [new UdpClientTransport(EndPoint.Port), new TcpClientTransport(EndPoint.Port)], disposeTransport: true, 2000);
        return await client.ResolveAsync(DomainName.Parse(name), type, RecordClass.INet, new DnsQueryOptions { IsRecursionDesired = false });
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _named.Kill(entireProcessTree: true);
            await _named.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }

        _named.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
