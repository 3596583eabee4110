using System.Collections.Concurrent;

namespace Gateway.Proxy;

/// <summary>
/// The open connections of one backend client (one pool), so that all of them can be closed when an answer shows the
/// backend bound an identity to a connection that cannot be singled out. Over HTTP/2 the client writes every stream
/// from one loop per connection, which does not run in the request's flow, so no exchange learns its connection;
/// over HTTP/1.1 a request handed straight to a queued waiter can miss it too. A connection that may carry someone's
/// identity must not serve anyone else, and when it is not known which one that is, none of them may.
/// </summary>
internal sealed class PooledConnectionSet
{
    private readonly ConcurrentDictionary<PooledConnectionStream, byte> _open = new();

    public void Add(PooledConnectionStream connection) => _open.TryAdd(connection, 0);

    public void Remove(PooledConnectionStream connection) => _open.TryRemove(connection, out _);

    /// <summary>Closes every connection of the pool: requests in flight on them fail, and the next ones dial anew.</summary>
    /// <returns>How many were closed.</returns>
    public int AbortAll()
    {
        var closed = 0;
        foreach (var connection in _open.Keys)
        {
            connection.Abort();
            closed++;
        }

        return closed;
    }
}
