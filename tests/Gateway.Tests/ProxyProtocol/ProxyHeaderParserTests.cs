using System.Net;
using System.Text;
using Gateway.ProxyProtocol;

namespace Gateway.Tests.ProxyProtocol;

public sealed class ProxyHeaderParserTests
{
    [Theory]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 40000 443\r\n", "127.0.0.77:40000", "127.0.0.1:443")]
    [InlineData("PROXY TCP6 ::1 ::1 40000 443\r\n", "[::1]:40000", "[::1]:443")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 0 65535\r\n", "127.0.0.77:0", "127.0.0.1:65535")]
    public void A_v1_header_names_the_client_and_is_consumed_exactly(string line, string source, string destination)
    {
        var input = Encoding.ASCII.GetBytes(line + "\x16\x03\x01");

        var header = ProxyHeaderParser.Parse(input);

        Assert.Equal(ProxyHeaderStatus.Complete, header.Status);
        Assert.Equal(line.Length, header.Length);
        Assert.Equal(IPEndPoint.Parse(source), header.Source);
        Assert.Equal(IPEndPoint.Parse(destination), header.Destination);
    }

    [Theory]
    [InlineData("PROXY TCP6 ::ffff:127.0.0.77 ::1 40000 443\r\n", "127.0.0.77:40000")]
    [InlineData("PROXY TCP6 ::ffff:127.0.0.77 ::ffff:127.0.0.1 40000 443\r\n", "127.0.0.77:40000")]
    public void An_ipv4_client_written_as_ipv6_is_the_ipv4_client(string line, string source)
    {
        var header = ProxyHeaderParser.Parse(Encoding.ASCII.GetBytes(line));

        Assert.Equal(ProxyHeaderStatus.Complete, header.Status);
        Assert.Equal(IPEndPoint.Parse(source), header.Source);
    }

    [Fact]
    public void A_v1_unknown_header_keeps_the_connections_own_address()
    {
        var header = ProxyHeaderParser.Parse("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\nGET"u8);

        Assert.Equal(ProxyHeaderStatus.Complete, header.Status);
        Assert.Null(header.Source);
    }

    [Theory]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 040000 443\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 70000 443\r\n")]
    [InlineData("PROXY TCP4 ::1 127.0.0.1 1 443\r\n")]
    [InlineData("PROXY TCP5 127.0.0.77 127.0.0.1 1 443\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 1\r\n")]
    [InlineData("PROXY TCP4  127.0.0.77 127.0.0.1 1 443\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 +1 443\r\n")]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("\x16\x03\x01\x00")]
    public void Malformed_or_foreign_input_is_invalid(string text)
    {
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderParser.Parse(Encoding.Latin1.GetBytes(text)).Status);
    }

    [Fact]
    public void A_v1_line_without_crlf_in_107_bytes_is_invalid_and_shorter_is_incomplete()
    {
        var line = Encoding.ASCII.GetBytes("PROXY TCP4 " + new string('1', 120));

        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderParser.Parse(line).Status);
        Assert.Equal(ProxyHeaderStatus.NeedMoreData, ProxyHeaderParser.Parse(line.AsSpan(0, 100)).Status);
    }

    [Theory]
    [InlineData("127.0.0.77", 40000, "127.0.0.1", 443)]
    [InlineData("::1", 40000, "::1", 8443)]
    public void The_writer_and_the_parser_agree_for_both_versions(string source, int sourcePort, string destination, int destinationPort)
    {
        var from = new IPEndPoint(IPAddress.Parse(source), sourcePort);
        var to = new IPEndPoint(IPAddress.Parse(destination), destinationPort);
        foreach (var bytes in new[] { ProxyHeaderWriter.V1(from, to), ProxyHeaderWriter.V2(from, to) })
        {
            var header = ProxyHeaderParser.Parse([.. bytes, 0x16, 0x03]);

            Assert.Equal(ProxyHeaderStatus.Complete, header.Status);
            Assert.Equal(bytes.Length, header.Length);
            Assert.Equal(from, header.Source);
            Assert.Equal(to, header.Destination);
        }
    }

    [Fact]
    public void Every_proper_prefix_of_a_header_needs_more_data()
    {
        var from = new IPEndPoint(IPAddress.Parse("127.0.0.77"), 40000);
        var to = new IPEndPoint(IPAddress.Loopback, 443);
        foreach (var bytes in new[] { ProxyHeaderWriter.V1(from, to), ProxyHeaderWriter.V2(from, to) })
        {
            for (var length = 0; length < bytes.Length; length++)
            {
                Assert.Equal(ProxyHeaderStatus.NeedMoreData, ProxyHeaderParser.Parse(bytes.AsSpan(0, length)).Status);
            }
        }
    }

    [Fact]
    public void V2_tlvs_are_skipped_local_keeps_the_address_and_oversized_is_refused()
    {
        var from = new IPEndPoint(IPAddress.Parse("127.0.0.77"), 40000);
        var header = ProxyHeaderWriter.V2(from, new IPEndPoint(IPAddress.Loopback, 443));
        // A TLV (type 0x04 NOOP, length 3) appended and the length field grown to cover it.
        byte[] withTlv = [.. header, 0x04, 0x00, 0x03, 1, 2, 3];
        withTlv[15] += 6;
        var parsed = ProxyHeaderParser.Parse(withTlv);
        Assert.Equal(ProxyHeaderStatus.Complete, parsed.Status);
        Assert.Equal(withTlv.Length, parsed.Length);
        Assert.Equal(from, parsed.Source);

        var local = ProxyHeaderWriter.V2(null, null);
        Assert.Equal(0x20, local[12]);
        var localParsed = ProxyHeaderParser.Parse(local);
        Assert.Equal(ProxyHeaderStatus.Complete, localParsed.Status);
        Assert.Null(localParsed.Source);

        byte[] huge = [.. header];
        huge[14] = 0xFF;
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderParser.Parse(huge).Status);
        byte[] badVersion = [.. header];
        badVersion[12] = 0x31;
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderParser.Parse(badVersion).Status);
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("127.10.0.1")]
    [InlineData("127.0.0.77")]
    public void A_tcp4_address_in_dotted_quad_form_is_accepted(string address)
    {
        var header = ProxyHeaderParser.Parse(Encoding.ASCII.GetBytes($"PROXY TCP4 {address} 127.0.0.1 40000 443\r\n"));

        Assert.Equal(ProxyHeaderStatus.Complete, header.Status);
        Assert.Equal(IPAddress.Parse(address), header.Source!.Address);
    }

    [Theory]
    [InlineData("127.1")]
    [InlineData("127.0.1")]
    [InlineData("2130706433")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("0x7f000001")]
    [InlineData("0177.0.0.1")]
    [InlineData("127.000.0.1")]
    [InlineData("127.0.0.01")]
    [InlineData("00.0.0.0")]
    [InlineData("127.2.3.4.5")]
    [InlineData("1.2.3.")]
    [InlineData("127.2.3.4.")]
    [InlineData(".127.2.3.4")]
    [InlineData("1..2.3")]
    [InlineData("256.0.0.1")]
    [InlineData("1.2.3.1000")]
    [InlineData("+127.2.3.4")]
    [InlineData("1.2.3.-4")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("[127.0.0.1]")]
    [InlineData("127.0.0.1:80")]
    [InlineData("127.0.0.1/32")]
    [InlineData("localhost")]
    public void A_tcp4_address_in_any_other_form_is_invalid(string address)
    {
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderParser.Parse(Encoding.ASCII.GetBytes($"PROXY TCP4 {address} 127.0.0.1 40000 443\r\n")).Status);
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderParser.Parse(Encoding.ASCII.GetBytes($"PROXY TCP4 127.0.0.1 {address} 40000 443\r\n")).Status);
    }

    [Theory]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("1::")]
    [InlineData("1:2:3:4:5:6:7:8")]
    [InlineData("1:2:3:4:5:6::8")]
    [InlineData("1::8")]
    [InlineData("FE80::abcd")]
    [InlineData("0001:02:003::")]
    [InlineData("0:0:0:0:0:0:0:1")]
    [InlineData("::127.2.3.4")]
    [InlineData("1:2:3:4:5:6:127.2.3.4")]
    [InlineData("::ffff:0:127.2.3.4")]
    [InlineData("2001:db8::ffff:127.2.3.4")]
    public void A_tcp6_address_as_inet_pton_reads_it_is_accepted(string address)
    {
        var header = ProxyHeaderParser.Parse(Encoding.ASCII.GetBytes($"PROXY TCP6 {address} ::1 40000 443\r\n"));

        Assert.Equal(ProxyHeaderStatus.Complete, header.Status);
        Assert.Equal(IPAddress.Parse(address), header.Source!.Address);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.1")]
    [InlineData("[::1]")]
    [InlineData("[::1]:80")]
    [InlineData("::1%eth0")]
    [InlineData("fe80::1%1")]
    [InlineData("::1/128")]
    [InlineData(":1::2")]
    [InlineData(":")]
    [InlineData(":::")]
    [InlineData("1:::2")]
    [InlineData("1::2::3")]
    [InlineData("1::2:")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("1:2:3:4:5:6:7")]
    [InlineData("1:2:3:4:5:6:7::8")]
    [InlineData("1:2:3:4:5:6:7:8::")]
    [InlineData("12345::1")]
    [InlineData("g::1")]
    [InlineData("::ffff:127.1")]
    [InlineData("::ffff:0177.0.0.1")]
    [InlineData("::ffff:127.2.3.4.5")]
    [InlineData("::127.2.3.4:5")]
    [InlineData("1:2:3:4:5:6:7:127.2.3.4")]
    [InlineData("::0x1")]
    [InlineData("+::1")]
    public void A_tcp6_address_in_any_other_form_is_invalid(string address)
    {
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderParser.Parse(Encoding.ASCII.GetBytes($"PROXY TCP6 {address} ::1 40000 443\r\n")).Status);
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderParser.Parse(Encoding.ASCII.GetBytes($"PROXY TCP6 ::1 {address} 40000 443\r\n")).Status);
    }

    [Theory]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 00 443\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 65536 443\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 99999 443\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 100000 443\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 -1 443\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 1 +443\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 1 0x1bb\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 1 443.0\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 1 0443\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 1 \r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 1 443 \r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1  1 443\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77  127.0.0.1 1 443\r\n")]
    [InlineData("PROXY  TCP4 127.0.0.77 127.0.0.1 1 443\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 1 443 5\r\n")]
    [InlineData("PROXY TCP4\t127.0.0.77 127.0.0.1 1 443\r\n")]
    [InlineData("PROXY TCP4 127.0.0.77 127.0.0.1 1 443\n")]
    [InlineData("PROXY tcp4 127.0.0.77 127.0.0.1 1 443\r\n")]
    [InlineData("PROXY TCP 127.0.0.77 127.0.0.1 1 443\r\n")]
    [InlineData("PROXY UNKNOWNX\r\n")]
    [InlineData("PROXY \r\n")]
    [InlineData("PROXY\r\n")]
    [InlineData("proxy TCP4 127.0.0.77 127.0.0.1 1 443\r\n")]
    public void A_v1_line_that_strays_from_the_spec_is_invalid(string text)
    {
        var header = ProxyHeaderParser.Parse(Encoding.Latin1.GetBytes(text + "\x16\x03\x01" + new string('x', 120)));

        Assert.Equal(ProxyHeaderStatus.Invalid, header.Status);
    }

    [Theory]
    [InlineData("PROXY UNKNOWN\r\n")]
    [InlineData("PROXY UNKNOWN 127.1 whatever 1\r\n")]
    public void A_v1_unknown_line_ignores_what_follows_the_keyword(string text)
    {
        var header = ProxyHeaderParser.Parse(Encoding.ASCII.GetBytes(text));

        Assert.Equal((ProxyHeaderStatus.Complete, text.Length), (header.Status, header.Length));
        Assert.Null(header.Source);
    }

    [Fact]
    public void A_scoped_ipv6_client_is_written_without_its_zone()
    {
        var from = new IPEndPoint(IPAddress.Parse("fe80::1%2"), 40000);
        var to = new IPEndPoint(IPAddress.Parse("fe80::2%2"), 443);

        var written = Encoding.ASCII.GetString(ProxyHeaderWriter.V1(from, to));
        var header = ProxyHeaderParser.Parse(Encoding.ASCII.GetBytes(written));

        Assert.Equal("PROXY TCP6 fe80::1 fe80::2 40000 443\r\n", written);
        Assert.Equal(ProxyHeaderStatus.Complete, header.Status);
        Assert.Equal(IPAddress.Parse("fe80::1"), header.Source!.Address);
    }
}
