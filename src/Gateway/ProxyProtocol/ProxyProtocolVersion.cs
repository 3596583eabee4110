namespace Gateway.ProxyProtocol;

internal enum ProxyProtocolVersion
{
    None,
    V1,
    V2,
}
