namespace Gateway.Hosting;

/// <summary>Which listener a connection arrived on, stored in the connection's items by the listener itself.</summary>
internal enum ListenerKind
{
    Https,
    Http,
    Admin,
}
