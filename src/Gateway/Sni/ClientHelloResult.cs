namespace Gateway.Sni;

/// <summary>The parser's verdict. <see cref="Reason"/> is a constant string for logs, set for NotTls, Invalid and TooLarge.</summary>
internal readonly record struct ClientHelloResult(ClientHelloStatus Status, ClientHelloInfo? Hello = null, string? Reason = null);
