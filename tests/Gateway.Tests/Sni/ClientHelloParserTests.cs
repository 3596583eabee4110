using System.Buffers.Binary;
using System.Text;
using Gateway.Sni;

namespace Gateway.Tests.Sni;

public sealed class ClientHelloParserTests
{
    private const int DefaultCap = 16 * 1024;

    private static ClientHelloBuilder TypicalBuilder() => new()
    {
        ServerName = "Api.Example.COM.",
        ApplicationProtocols = ["h2", "http/1.1"],
        SupportedVersions = [0x0304, 0x0303],
    };

    private static ClientHelloResult Parse(byte[] data, int maxBytes = DefaultCap) => ClientHelloParser.Parse(data, maxBytes);

    private static ClientHelloInfo AssertComplete(ClientHelloResult result)
    {
        Assert.True(result.Status == ClientHelloStatus.Complete, $"{result.Status}: {result.Reason}");
        Assert.Null(result.Reason);
        return Assert.IsType<ClientHelloInfo>(result.Hello);
    }

    private static void AssertVerdict(ClientHelloStatus status, string reason, ClientHelloResult result)
    {
        Assert.Equal((status, reason), (result.Status, result.Reason));
        Assert.Null(result.Hello);
    }

    private static byte[] WithUInt16(byte[] bytes, int offset, int value)
    {
        var copy = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(offset), (ushort)value);
        return copy;
    }

    /// <summary>Offset of the extensions length field inside the handshake message the builder produces.</summary>
    private static int ExtensionsLengthOffset(ClientHelloBuilder builder)
    {
        var include = builder.IncludeExtensionsBlock;
        builder.IncludeExtensionsBlock = false;
        var offset = builder.BuildHandshake().Length;
        builder.IncludeExtensionsBlock = include;
        return offset;
    }

    // ---- Complete ----

    [Fact]
    public void Single_record_hello_yields_exact_fields()
    {
        var records = TypicalBuilder().ToRecords();

        var hello = AssertComplete(Parse(records));

        Assert.Equal("Api.Example.COM.", hello.ServerName);
        Assert.Equal(["h2", "http/1.1"], hello.ApplicationProtocols);
        Assert.Equal(new ushort[] { 0x0304, 0x0303 }, hello.SupportedVersions);
        Assert.Equal(0x0303, hello.LegacyVersion);
        Assert.Equal(records.Length, hello.RecordBytes);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(64)]
    [InlineData(100)]
    [InlineData(16384)]
    public void Fragmented_hello_is_reassembled(int fragmentSize)
    {
        var builder = TypicalBuilder();
        var handshake = builder.BuildHandshake();
        var records = builder.ToRecords(fragmentSize);
        var expectedRecords = (handshake.Length + fragmentSize - 1) / fragmentSize;
        Assert.Equal(handshake.Length + (5 * expectedRecords), records.Length);

        var hello = AssertComplete(Parse(records, int.MaxValue));

        Assert.Equal("Api.Example.COM.", hello.ServerName);
        Assert.Equal(["h2", "http/1.1"], hello.ApplicationProtocols);
        Assert.Equal(new ushort[] { 0x0304, 0x0303 }, hello.SupportedVersions);
        Assert.Equal(records.Length, hello.RecordBytes);
    }

    [Theory]
    [InlineData(3000, 64)]
    [InlineData(20000, 16384)]
    [InlineData(65540, 16384)]
    public void Large_fragmented_hello_is_reassembled_through_the_pool(int handshakeLength, int fragmentSize)
    {
        var builder = TypicalBuilder();
        builder.PadHandshakeTo = handshakeLength;
        var records = builder.ToRecords(fragmentSize);

        var hello = AssertComplete(Parse(records, int.MaxValue));

        Assert.Equal(handshakeLength, builder.BuildHandshake().Length);
        Assert.Equal("Api.Example.COM.", hello.ServerName);
        Assert.Equal(records.Length, hello.RecordBytes);
    }

    [Fact]
    public void Trailing_bytes_after_the_hello_are_ignored()
    {
        var records = TypicalBuilder().ToRecords(64);
        byte[] changeCipherSpec = [20, 3, 3, 0, 1, 1];
        byte[] data = [.. records, .. changeCipherSpec, .. "GET / HTTP/1.1\r\n"u8];

        var hello = AssertComplete(Parse(data));

        Assert.Equal(records.Length, hello.RecordBytes);
        Assert.Equal("Api.Example.COM.", hello.ServerName);
    }

    [Fact]
    public void Hello_without_extensions_block_is_complete()
    {
        var builder = new ClientHelloBuilder { IncludeExtensionsBlock = false, LegacyVersion = 0x0301 };
        var records = builder.ToRecords();

        var hello = AssertComplete(Parse(records));

        Assert.Null(hello.ServerName);
        Assert.Empty(hello.ApplicationProtocols);
        Assert.Empty(hello.SupportedVersions);
        Assert.Equal(0x0301, hello.LegacyVersion);
        Assert.Equal(records.Length, hello.RecordBytes);
    }

    [Fact]
    public void Empty_extensions_block_is_complete()
    {
        var builder = new ClientHelloBuilder { IncludeTypicalExtensions = false, SupportedVersions = null };
        var handshake = builder.BuildHandshake();
        Assert.Equal([0, 0], handshake[^2..]);

        var hello = AssertComplete(Parse(builder.ToRecords()));

        Assert.Null(hello.ServerName);
        Assert.Empty(hello.SupportedVersions);
    }

    [Fact]
    public void Minimal_hello_parses()
    {
        var builder = new ClientHelloBuilder
        {
            SessionId = Array.Empty<byte>(),
            CipherSuites = [0x002F],
            IncludeExtensionsBlock = false,
        };

        var records = builder.ToRecords();

        Assert.Equal(5 + 4 + 41, records.Length);
        AssertComplete(Parse(records));
    }

    [Fact]
    public void Unknown_grease_ech_padding_and_psk_extensions_are_skipped()
    {
        var builder = TypicalBuilder();
        builder.ExtraExtensions.Add((0x0A0A, []));
        builder.ExtraExtensions.Add((0xFE0D, [0, 1, 2, 3, 4, 5, 6, 7]));
        builder.ExtraExtensions.Add((0xFAFA, [0]));
        builder.ExtraExtensions.Add((41, [0, 4, 1, 2, 3, 4]));
        builder.PadHandshakeTo = 512;

        var hello = AssertComplete(Parse(builder.ToRecords()));

        Assert.Equal("Api.Example.COM.", hello.ServerName);
        Assert.Equal(["h2", "http/1.1"], hello.ApplicationProtocols);
    }

    [Fact]
    public void Unknown_server_name_types_are_skipped()
    {
        // server_name_list: {type 7, "abc"}, {host_name, "x.test"}, {type 1, "z"}
        byte[] list = [7, 0, 3, (byte)'a', (byte)'b', (byte)'c', 0, 0, 6, .. "x.test"u8, 1, 0, 1, (byte)'z'];
        var builder = new ClientHelloBuilder();
        builder.ExtraExtensions.Add((0, [0, (byte)list.Length, .. list]));

        var hello = AssertComplete(Parse(builder.ToRecords()));

        Assert.Equal("x.test", hello.ServerName);
    }

    [Fact]
    public void Server_name_list_without_host_name_yields_no_server_name()
    {
        var builder = new ClientHelloBuilder();
        builder.ExtraExtensions.Add((0, [0, 4, 9, 0, 1, (byte)'q']));

        Assert.Null(AssertComplete(Parse(builder.ToRecords())).ServerName);
    }

    [Fact]
    public void The_longest_host_name_with_its_trailing_dot_is_accepted()
    {
        var name = string.Join('.', Enumerable.Repeat(new string('a', 63), 3)) + "." + new string('b', 61) + ".";
        Assert.Equal(254, name.Length);
        var builder = new ClientHelloBuilder { ServerName = name };

        Assert.Equal(name, AssertComplete(Parse(builder.ToRecords())).ServerName);
    }

    [Theory]
    [InlineData("exchange.example")]
    [InlineData("exchange.example.")]
    [InlineData("EXCHANGE.Example")]
    [InlineData("_dmarc.example")]
    [InlineData("a-.-b.example")]
    [InlineData("xn--bcher-kva.example")]
    [InlineData("1password.com")]
    [InlineData("0x1.example")]
    [InlineData("localhost")]
    [InlineData("a")]
    public void A_host_name_is_accepted(string name)
    {
        var builder = new ClientHelloBuilder { ServerName = name };

        Assert.Equal(name, AssertComplete(Parse(builder.ToRecords())).ServerName);
    }

    [Theory]
    [InlineData("exchange.example..")]
    [InlineData("exchange.example...")]
    [InlineData("exchange..example")]
    [InlineData(".exchange.example")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("exchange.example:443")]
    [InlineData("[::1]")]
    [InlineData("::1")]
    [InlineData("fe80::1%eth0")]
    [InlineData("user@exchange.example")]
    [InlineData("exchange.example/x")]
    [InlineData("exchange.example%2e")]
    [InlineData("*.example")]
    [InlineData("exchange,example")]
    public void A_name_that_is_not_a_host_name_is_invalid(string name)
    {
        var builder = new ClientHelloBuilder { ServerName = name };

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.HostNameSyntax, Parse(builder.ToRecords()));
    }

    [Theory]
    [InlineData(64, 1)]
    [InlineData(63, 5)]
    [InlineData(255, 1)]
    public void A_label_over_63_or_a_name_over_253_characters_is_invalid(int labelLength, int labels)
    {
        // 63 x 5 with dots is 319 characters, over 255: the byte cap speaks first; 4 x 63 + 3 = 255 is over 253.
        var name = string.Join('.', Enumerable.Repeat(new string('a', labelLength), labels));
        var builder = new ClientHelloBuilder { ServerName = name };

        var result = Parse(builder.ToRecords());

        Assert.Equal(ClientHelloStatus.Invalid, result.Status);
        Assert.Contains(result.Reason, new[] { ClientHelloReasons.HostNameSyntax, ClientHelloReasons.HostNameTooLong });
    }

    [Fact]
    public void A_name_of_254_characters_without_a_trailing_dot_is_invalid()
    {
        var name = string.Join('.', Enumerable.Repeat(new string('a', 63), 3)) + "." + new string('b', 62);
        Assert.Equal(254, name.Length);
        var builder = new ClientHelloBuilder { ServerName = name };

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.HostNameSyntax, Parse(builder.ToRecords()));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1.")]
    [InlineData("127.1")]
    [InlineData("2130706433")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("0177.0.0.1")]
    [InlineData("exchange.example.1")]
    [InlineData("a.0x")]
    [InlineData("a.0XfF")]
    public void An_address_literal_is_invalid(string name)
    {
        var builder = new ClientHelloBuilder { ServerName = name };

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.HostNameAddress, Parse(builder.ToRecords()));
    }

    [Fact]
    public void Alpn_names_are_decoded_losslessly()
    {
        var builder = new ClientHelloBuilder { ApplicationProtocols = ["h3", "\u00ff\u0001x", "acme-tls/1"] };

        var hello = AssertComplete(Parse(builder.ToRecords()));

        Assert.Equal(["h3", "\u00ff\u0001x", "acme-tls/1"], hello.ApplicationProtocols);
    }

    [Theory]
    [InlineData(0x0300)]
    [InlineData(0x0301)]
    [InlineData(0x0302)]
    [InlineData(0x0303)]
    [InlineData(0x0304)]
    public void Record_versions_3_0_to_3_4_are_accepted(int version)
    {
        var builder = TypicalBuilder();
        builder.RecordVersion = (ushort)version;

        AssertComplete(Parse(builder.ToRecords(64)));
    }

    [Theory]
    [InlineData(16384)]
    [InlineData(64)]
    [InlineData(1)]
    public void Cap_equal_to_the_hello_size_is_enough(int fragmentSize)
    {
        var records = TypicalBuilder().ToRecords(fragmentSize);

        Assert.Equal(records.Length, AssertComplete(Parse(records, records.Length)).RecordBytes);
        AssertVerdict(ClientHelloStatus.TooLarge, ClientHelloReasons.DeclaredSizeOverCap, Parse(records, records.Length - 1));
    }

    // ---- NeedMoreData ----

    [Fact]
    public void Empty_input_needs_more_data()
    {
        Assert.Equal(new ClientHelloResult(ClientHelloStatus.NeedMoreData), ClientHelloParser.Parse([], DefaultCap));
    }

    [Theory]
    [InlineData(16384)]
    [InlineData(64)]
    [InlineData(3)]
    public void Every_strict_prefix_needs_more_data(int fragmentSize)
    {
        var records = TypicalBuilder().ToRecords(fragmentSize);

        for (var length = 1; length < records.Length; length++)
        {
            var result = ClientHelloParser.Parse(records.AsSpan(0, length), DefaultCap);
            Assert.True(
                result == new ClientHelloResult(ClientHelloStatus.NeedMoreData),
                $"prefix {length}/{records.Length}: {result.Status} {result.Reason}");
        }
    }

    // ---- NotTls ----

    [Fact]
    public void Plain_http_is_not_tls()
    {
        AssertVerdict(ClientHelloStatus.NotTls, ClientHelloReasons.NotHandshakeRecord, Parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray()));
        AssertVerdict(ClientHelloStatus.NotTls, ClientHelloReasons.NotHandshakeRecord, Parse("G"u8.ToArray()));
    }

    [Fact]
    public void Any_first_byte_other_than_handshake_is_not_tls()
    {
        for (var first = 0; first < 256; first++)
        {
            if (first == 22)
            {
                continue;
            }

            var result = Parse([(byte)first]);
            Assert.Equal(ClientHelloStatus.NotTls, result.Status);
            Assert.NotNull(result.Reason);
        }
    }

    [Fact]
    public void Sslv2_compatible_hello_is_not_tls()
    {
        byte[] sslV2 = [0x80, 0x2E, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10, 0x07, 0x00, 0xC0];

        AssertVerdict(ClientHelloStatus.NotTls, ClientHelloReasons.SslV2Hello, Parse(sslV2));
        AssertVerdict(ClientHelloStatus.NotTls, ClientHelloReasons.SslV2Hello, Parse(sslV2[..1]));
        AssertVerdict(ClientHelloStatus.NotTls, ClientHelloReasons.NotHandshakeRecord, Parse([0x80, 0x2E, 0x02]));
    }

    [Theory]
    [InlineData(new byte[] { 22, 2 })]
    [InlineData(new byte[] { 22, 4, 1 })]
    [InlineData(new byte[] { 22, 3, 5 })]
    [InlineData(new byte[] { 22, 0xFE, 0xFD, 0, 50 })]
    public void First_record_with_a_non_tls_version_is_not_tls(byte[] data)
    {
        AssertVerdict(ClientHelloStatus.NotTls, ClientHelloReasons.RecordVersion, Parse(data));
    }

    // ---- Invalid ----

    [Fact]
    public void Zero_length_record_is_invalid()
    {
        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.RecordLengthZero, Parse([22, 3, 1, 0, 0]));
    }

    [Fact]
    public void Record_longer_than_2_pow_14_is_invalid()
    {
        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.RecordLengthTooLarge, Parse([22, 3, 1, 0x40, 0x01], int.MaxValue));
    }

    [Fact]
    public void Handshake_type_other_than_client_hello_is_invalid()
    {
        var handshake = TypicalBuilder().BuildHandshake();
        handshake[0] = 2;
        var records = ClientHelloBuilder.WrapInRecords(handshake);

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.NotClientHello, Parse(records));
        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.NotClientHello, Parse(records[..6]));
    }

    [Fact]
    public void Handshake_length_too_short_for_a_client_hello_is_invalid()
    {
        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.HandshakeTooShort, Parse([22, 3, 1, 0, 44, 1, 0, 0, 40]));
    }

    [Fact]
    public void Session_id_longer_than_32_is_invalid()
    {
        var builder = new ClientHelloBuilder { SessionId = new byte[33] };

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.SessionIdTooLong, Parse(builder.ToRecords()));
    }

    [Fact]
    public void Odd_cipher_suites_length_is_invalid()
    {
        var builder = new ClientHelloBuilder { SessionId = Array.Empty<byte>(), CipherSuites = [0x1301, 0x1302] };
        var handshake = WithUInt16(builder.BuildHandshake(), 4 + 2 + 32 + 1, 3);

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.CipherSuitesLength, Parse(ClientHelloBuilder.WrapInRecords(handshake)));
    }

    [Fact]
    public void Empty_cipher_suites_is_invalid()
    {
        var builder = new ClientHelloBuilder { CipherSuites = [] };

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.CipherSuitesLength, Parse(builder.ToRecords()));
    }

    [Fact]
    public void Zero_compression_methods_is_invalid()
    {
        var builder = new ClientHelloBuilder { CompressionMethods = Array.Empty<byte>() };

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.CompressionEmpty, Parse(builder.ToRecords()));
    }

    [Fact]
    public void Vector_overrunning_the_hello_is_invalid()
    {
        var builder = new ClientHelloBuilder { SessionId = Array.Empty<byte>(), IncludeExtensionsBlock = false };
        var handshake = builder.BuildHandshake();

        var sessionId = (byte[])handshake.Clone();
        sessionId[38] = 32;
        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.SessionIdOverrun, Parse(ClientHelloBuilder.WrapInRecords(sessionId)));

        var suites = WithUInt16(handshake, 39, 0x1000);
        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.CipherSuitesOverrun, Parse(ClientHelloBuilder.WrapInRecords(suites)));

        var compression = (byte[])handshake.Clone();
        compression[^2] = 2;
        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.CompressionOverrun, Parse(ClientHelloBuilder.WrapInRecords(compression)));
    }

    [Fact]
    public void Extensions_length_overrunning_the_hello_is_invalid()
    {
        var builder = TypicalBuilder();
        var offset = ExtensionsLengthOffset(builder);
        var handshake = builder.BuildHandshake();
        var declared = BinaryPrimitives.ReadUInt16BigEndian(handshake.AsSpan(offset));

        var over = WithUInt16(handshake, offset, declared + 1);
        var under = WithUInt16(handshake, offset, declared - 1);

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.ExtensionsLength, Parse(ClientHelloBuilder.WrapInRecords(over)));
        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.ExtensionsLength, Parse(ClientHelloBuilder.WrapInRecords(under)));
    }

    [Fact]
    public void Single_stray_byte_after_compression_methods_is_invalid()
    {
        var handshake = new ClientHelloBuilder { IncludeExtensionsBlock = false }.BuildHandshake();
        byte[] withStray = [.. handshake, 0];
        BinaryPrimitives.WriteUInt16BigEndian(withStray.AsSpan(2), (ushort)(withStray.Length - 4));

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.ExtensionsLength, Parse(ClientHelloBuilder.WrapInRecords(withStray)));
    }

    [Fact]
    public void Extension_length_overrunning_the_block_is_invalid()
    {
        var builder = TypicalBuilder();
        builder.ExtraExtensions.Add((0x1234, [1, 2, 3]));
        var handshake = WithUInt16(builder.BuildHandshake(), builder.BuildHandshake().Length - 5, 4);

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.ExtensionOverrun, Parse(ClientHelloBuilder.WrapInRecords(handshake)));
    }

    [Fact]
    public void Truncated_extension_header_is_invalid()
    {
        var builder = new ClientHelloBuilder { IncludeTypicalExtensions = false, SupportedVersions = null };
        builder.ExtraExtensions.Add((0x1234, []));
        var handshake = builder.BuildHandshake()[..^1];
        BinaryPrimitives.WriteUInt16BigEndian(handshake.AsSpan(2), (ushort)(handshake.Length - 4));
        BinaryPrimitives.WriteUInt16BigEndian(handshake.AsSpan(handshake.Length - 5), 3);

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.ExtensionOverrun, Parse(ClientHelloBuilder.WrapInRecords(handshake)));
    }

    [Theory]
    [InlineData(0x1234)]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(43)]
    [InlineData(0xFFFF)]
    public void Duplicate_extension_is_invalid(int type)
    {
        var builder = TypicalBuilder();
        var original = builder.BuildHandshake();
        builder.ExtraExtensions.Add(((ushort)type, [0, 3, 2, 3, 4]));
        builder.ExtraExtensions.Add(((ushort)type, [0, 3, 2, 3, 4]));

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.DuplicateExtension, Parse(builder.ToRecords()));
        Assert.NotEqual(original.Length, builder.BuildHandshake().Length);
    }

    [Fact]
    public void Two_host_names_are_invalid()
    {
        byte[] list = [0, 0, 3, .. "a.b"u8, 0, 0, 3, .. "c.d"u8];
        var builder = new ClientHelloBuilder();
        builder.ExtraExtensions.Add((0, [0, (byte)list.Length, .. list]));

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.MultipleHostNames, Parse(builder.ToRecords()));
    }

    [Theory]
    [InlineData("exa mple.com")]
    [InlineData("example.com\0")]
    [InlineData("\0")]
    [InlineData("caf\u00e9.example")]
    [InlineData("tab\there")]
    [InlineData("del\u007f")]
    public void Host_name_that_is_not_printable_ascii_is_invalid(string name)
    {
        var builder = new ClientHelloBuilder { ServerName = name };

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.HostNameNotPrintable, Parse(builder.ToRecords()));
    }

    [Fact]
    public void Host_name_longer_than_255_is_invalid()
    {
        var builder = new ClientHelloBuilder { ServerName = new string('a', 256) };

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.HostNameTooLong, Parse(builder.ToRecords()));
    }

    [Theory]
    [InlineData(new byte[0], ClientHelloReasons.ServerNameEmpty)]
    [InlineData(new byte[] { 0, 0 }, ClientHelloReasons.ServerNameListEmpty)]
    [InlineData(new byte[] { 0 }, ClientHelloReasons.ServerNameListLength)]
    [InlineData(new byte[] { 0, 5, 0, 0, 1, 0x61 }, ClientHelloReasons.ServerNameListLength)]
    [InlineData(new byte[] { 0, 3, 0, 0, 1, 0x61 }, ClientHelloReasons.ServerNameListLength)]
    [InlineData(new byte[] { 0, 4, 0, 0, 2, 0x61 }, ClientHelloReasons.ServerNameEntryOverrun)]
    [InlineData(new byte[] { 0, 3, 0, 0, 0 }, ClientHelloReasons.ServerNameEntryEmpty)]
    [InlineData(new byte[] { 0, 2, 0, 0 }, ClientHelloReasons.ServerNameEntryOverrun)]
    public void Malformed_server_name_is_invalid(byte[] body, string reason)
    {
        var builder = new ClientHelloBuilder();
        builder.ExtraExtensions.Add((0, body));

        AssertVerdict(ClientHelloStatus.Invalid, reason, Parse(builder.ToRecords()));
    }

    [Fact]
    public void Empty_alpn_name_is_invalid()
    {
        var builder = new ClientHelloBuilder { ApplicationProtocols = ["h2", ""] };

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.AlpnNameEmpty, Parse(builder.ToRecords()));
    }

    [Theory]
    [InlineData(new byte[0], ClientHelloReasons.AlpnListLength)]
    [InlineData(new byte[] { 0, 0 }, ClientHelloReasons.AlpnListTooShort)]
    [InlineData(new byte[] { 0, 1, 0 }, ClientHelloReasons.AlpnListTooShort)]
    [InlineData(new byte[] { 0, 4, 2, 0x68, 0x32 }, ClientHelloReasons.AlpnListLength)]
    [InlineData(new byte[] { 0, 2, 2, 0x68, 0x32 }, ClientHelloReasons.AlpnListLength)]
    [InlineData(new byte[] { 0, 3, 3, 0x68, 0x32 }, ClientHelloReasons.AlpnNameOverrun)]
    [InlineData(new byte[] { 0, 3, 1, 0x68, 0 }, ClientHelloReasons.AlpnNameEmpty)]
    public void Malformed_alpn_is_invalid(byte[] body, string reason)
    {
        var builder = new ClientHelloBuilder();
        builder.ExtraExtensions.Add((16, body));

        AssertVerdict(ClientHelloStatus.Invalid, reason, Parse(builder.ToRecords()));
    }

    [Theory]
    [InlineData(new byte[0], ClientHelloReasons.SupportedVersionsLength)]
    [InlineData(new byte[] { 4, 3, 4 }, ClientHelloReasons.SupportedVersionsLength)]
    [InlineData(new byte[] { 2, 3, 4, 0 }, ClientHelloReasons.SupportedVersionsLength)]
    [InlineData(new byte[] { 0 }, ClientHelloReasons.SupportedVersionsOdd)]
    [InlineData(new byte[] { 3, 3, 4, 3 }, ClientHelloReasons.SupportedVersionsOdd)]
    public void Malformed_supported_versions_is_invalid(byte[] body, string reason)
    {
        var builder = new ClientHelloBuilder { SupportedVersions = null };
        builder.ExtraExtensions.Add((43, body));

        AssertVerdict(ClientHelloStatus.Invalid, reason, Parse(builder.ToRecords()));
    }

    [Fact]
    public void Alert_record_in_the_middle_of_a_fragmented_hello_is_invalid()
    {
        var records = TypicalBuilder().ToRecords(64);
        byte[] alert = [21, 3, 3, 0, 2, 2, 40];
        byte[] data = [.. records[..69], .. alert, .. records[69..]];

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.NonHandshakeRecord, Parse(data));

        // The first byte of the intruding record header is enough.
        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.NonHandshakeRecord, Parse(data[..70]));
    }

    [Fact]
    public void Continuation_record_with_a_bad_version_is_invalid()
    {
        var records = TypicalBuilder().ToRecords(64);
        records[69 + 1] = 2;

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.RecordVersion, Parse(records));
    }

    [Fact]
    public void Zero_length_continuation_record_is_invalid()
    {
        var records = TypicalBuilder().ToRecords(64);
        byte[] data = [.. records[..69], 22, 3, 1, 0, 0, .. records[69..]];

        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.RecordLengthZero, Parse(data));
    }

    [Fact]
    public void Extra_handshake_bytes_in_the_final_record_are_invalid()
    {
        var handshake = TypicalBuilder().BuildHandshake();
        byte[] finished = [20, 0, 0, 4, 1, 2, 3, 4];

        var sameRecord = ClientHelloBuilder.WrapInRecords([.. handshake, .. finished]);
        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.BytesAfterClientHello, Parse(sameRecord));

        // Decided from the headers: the record is declared longer than the handshake message.
        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.BytesAfterClientHello, Parse(sameRecord[..9]));

        var lastFragment = ClientHelloBuilder.WrapInRecords([.. handshake, .. finished], 100);
        AssertVerdict(ClientHelloStatus.Invalid, ClientHelloReasons.BytesAfterClientHello, Parse(lastFragment));
    }

    // ---- TooLarge ----

    [Theory]
    [InlineData(16384)]
    [InlineData(64)]
    public void Declared_length_beyond_the_cap_is_too_large_from_the_first_9_bytes(int fragmentSize)
    {
        var builder = TypicalBuilder();
        builder.PadHandshakeTo = 3000;
        var records = builder.ToRecords(fragmentSize);

        AssertVerdict(ClientHelloStatus.TooLarge, ClientHelloReasons.DeclaredSizeOverCap, Parse(records[..9], 2048));
        AssertComplete(Parse(records, records.Length));
    }

    [Fact]
    public void Declared_handshake_length_above_64_KiB_is_too_large_regardless_of_the_cap()
    {
        AssertVerdict(
            ClientHelloStatus.TooLarge,
            ClientHelloReasons.HandshakeLengthTooLarge,
            Parse([22, 3, 1, 0x40, 0, 1, 0x01, 0x00, 0x01], int.MaxValue));
    }

    [Fact]
    public void Record_length_beyond_the_cap_is_too_large_from_the_record_header()
    {
        AssertVerdict(ClientHelloStatus.TooLarge, ClientHelloReasons.DeclaredSizeOverCap, Parse([22, 3, 1, 0x10, 0], 1024));
    }

    [Fact]
    public void Input_reaching_the_cap_while_incomplete_is_too_large()
    {
        // One-byte fragments: after 10 bytes the handshake length is still unknown, and the cap is already reached.
        var records = TypicalBuilder().ToRecords(1);

        Assert.Equal(ClientHelloStatus.NeedMoreData, Parse(records[..9], 10).Status);
        AssertVerdict(ClientHelloStatus.TooLarge, ClientHelloReasons.IncompleteAtCap, Parse(records[..10], 10));
    }

    // ---- Allocation ----

    [Fact]
    public void Rejections_and_partial_input_do_not_allocate()
    {
        var records = TypicalBuilder().ToRecords(64);
        var large = TypicalBuilder();
        large.PadHandshakeTo = 4000;
        large.ServerName = "bad name";
        byte[][] inputs =
        [
            "GET / HTTP/1.1\r\n"u8.ToArray(),
            [22, 3, 1, 0, 0],
            [22, 3, 1, 0x40, 0, 1, 0x01, 0x00, 0x01],
            records[..100],
            records[..^1],
            new ClientHelloBuilder { ServerName = "a b" }.ToRecords(),
            large.ToRecords(100),
        ];

        foreach (var input in inputs)
        {
            Parse(input);
        }

        var completed = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            foreach (var input in inputs)
            {
                completed += ClientHelloParser.Parse(input, DefaultCap).Status == ClientHelloStatus.Complete ? 1 : 0;
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, completed);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Reasons_are_distinct_per_status()
    {
        // Guards against copy-paste reasons that would make logs ambiguous.
        var reasons = typeof(ClientHelloReasons)
            .GetFields()
            .Where(field => field.IsLiteral && field.Name != nameof(ClientHelloReasons.RecordVersion))
            .Select(field => (string)field.GetRawConstantValue()!)
            .ToList();

        Assert.Equal(reasons.Count, reasons.Distinct(StringComparer.Ordinal).Count());
        Assert.All(reasons, reason => Assert.True(Encoding.ASCII.GetByteCount(reason) == reason.Length));
    }
}
