namespace Gateway.ProxyProtocol;

internal enum ProxyHeaderStatus
{
    /// <summary>What arrived so far is a valid beginning; read more.</summary>
    NeedMoreData,

    /// <summary>Not a PROXY header, or a malformed one: close the connection.</summary>
    Invalid,

    Complete,
}
