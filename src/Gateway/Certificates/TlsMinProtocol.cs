namespace Gateway.Certificates;

internal enum TlsMinProtocol
{
    Tls12,
    Tls13,
}
