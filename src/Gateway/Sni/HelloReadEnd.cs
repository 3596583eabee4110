namespace Gateway.Sni;

internal enum HelloReadEnd
{
    /// <summary>The parser reached a verdict; see the result's status.</summary>
    Parsed,

    /// <summary>The whole ClientHello did not arrive within the timeout.</summary>
    TimedOut,

    /// <summary>The client closed or reset before its ClientHello was complete.</summary>
    ClosedEarly,
}
