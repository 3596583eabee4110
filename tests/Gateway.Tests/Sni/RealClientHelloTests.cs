using Gateway.Sni;

namespace Gateway.Tests.Sni;

public sealed class RealClientHelloTests
{
    private const int Cap = 16 * 1024;

    [Fact]
    public void Parses_sni_alpn_and_versions_from_a_real_client()
    {
        var bytes = RealClientHello.Capture("Backend.Example.com", ["h2", "http/1.1"]);

        var result = ClientHelloParser.Parse(bytes, Cap);

        Assert.Equal(ClientHelloStatus.Complete, result.Status);
        var hello = result.Hello!;
        Assert.Equal("Backend.Example.com", hello.ServerName);
        Assert.Equal(["h2", "http/1.1"], hello.ApplicationProtocols);
        Assert.Contains((ushort)0x0304, hello.SupportedVersions);
        Assert.Contains((ushort)0x0303, hello.SupportedVersions);
        Assert.Equal(0x0303, hello.LegacyVersion);
        Assert.Equal(bytes.Length, hello.RecordBytes);
    }

    [Fact]
    public void Parses_a_real_client_without_sni_or_alpn()
    {
        var bytes = RealClientHello.Capture(null);

        var result = ClientHelloParser.Parse(bytes, Cap);

        Assert.Equal(ClientHelloStatus.Complete, result.Status);
        Assert.Null(result.Hello!.ServerName);
        Assert.Empty(result.Hello.ApplicationProtocols);
        Assert.Contains((ushort)0x0304, result.Hello.SupportedVersions);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(500)]
    public void Parses_a_real_client_hello_split_into_records(int fragmentSize)
    {
        var bytes = RealClientHello.Capture("split.example", ["h2"]);
        var records = ClientHelloBuilder.SplitIntoRecords(bytes, fragmentSize);

        var result = ClientHelloParser.Parse(records, int.MaxValue);

        Assert.Equal(ClientHelloStatus.Complete, result.Status);
        Assert.Equal("split.example", result.Hello!.ServerName);
        Assert.Equal(["h2"], result.Hello.ApplicationProtocols);
        Assert.Equal(records.Length, result.Hello.RecordBytes);
    }

    [Fact]
    public void Every_prefix_of_a_real_hello_needs_more_data()
    {
        var bytes = RealClientHello.Capture("prefix.example");

        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Equal(ClientHelloStatus.NeedMoreData, ClientHelloParser.Parse(bytes.AsSpan(0, length), Cap).Status);
        }
    }

    [Fact]
    public void Split_keeps_the_real_hello_payload()
    {
        var bytes = RealClientHello.Capture("roundtrip.example");

        var resplit = ClientHelloBuilder.SplitIntoRecords(ClientHelloBuilder.SplitIntoRecords(bytes, 33), 16384);

        Assert.Equal(bytes, resplit);
    }
}
