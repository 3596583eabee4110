namespace Gateway.Sni;

/// <summary>Where the ClientHello sits in the peeked bytes once every record carrying it has arrived.</summary>
internal readonly record struct HandshakeLayout(int RecordCount, int MessageLength, int RecordBytes);
