using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Gateway.Sockets.Epoll;

/// <summary>
/// One epoll set and the thread that waits on it. A ready socket's waiter resumes right here, inline, as nginx and
/// HAProxy run their handlers: a tunnel's read and write happen on this thread, with no hand-off to the thread pool.
/// </summary>
internal sealed unsafe class EpollLoop : IDisposable
{
    private const int BatchSize = 256;
    private const ulong WakeupKey = ulong.MaxValue;
    private const uint Watched = EpollInterop.In | EpollInterop.Urgent | EpollInterop.Out | EpollInterop.ReadHangUp | EpollInterop.EdgeTriggered;
    private const uint ReadEvents = EpollInterop.In | EpollInterop.Urgent | EpollInterop.ReadHangUp | EpollInterop.HangUp | EpollInterop.Error;
    private const uint WriteEvents = EpollInterop.Out | EpollInterop.HangUp | EpollInterop.Error;
    private const uint ReadEnds = EpollInterop.ReadHangUp | EpollInterop.HangUp | EpollInterop.Error;
    private const uint WriteEnds = EpollInterop.HangUp | EpollInterop.Error;

    private readonly int _epoll;
    private readonly int _wakeup;
    private readonly Thread _thread;
    private readonly Action<Exception> _faulted;
    private readonly Lock _slotsLock = new();
    private readonly Stack<int> _freeSlots = new();
    private readonly ConcurrentQueue<(EpollSocket Socket, bool Write)> _deferred = new();
    private EpollSocket?[] _slots = new EpollSocket?[64];
    private int _usedSlots;
    private uint _generation;
    private volatile bool _stopping;
    private int _disposed;

    [ThreadStatic]
    private static EpollLoop? _current;

    /// <param name="faulted">Told of each exception a continuation threw into the loop.</param>
    public EpollLoop(int index, Action<Exception> faulted)
    {
        Index = index;
        _faulted = faulted;
        _epoll = EpollInterop.Create();
        _wakeup = EpollInterop.CreateWakeup();
        EpollInterop.Add(_epoll, _wakeup, EpollInterop.In | EpollInterop.EdgeTriggered, WakeupKey);
        _thread = new Thread(Run) { IsBackground = true, Name = $"Gateway epoll {index}" };
        _thread.Start();
    }

    /// <summary>The loop whose thread runs the caller, if any.</summary>
    public static EpollLoop? Current => _current;

    /// <summary>Its place among its engine's loops.</summary>
    public int Index { get; }

    /// <exception cref="ObjectDisposedException">The loop was stopped.</exception>
    public EpollSocket Add(Socket socket, EpollEngine engine)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        EpollSocket registered;
        lock (_slotsLock)
        {
            if (!_freeSlots.TryPop(out var slot))
            {
                slot = _usedSlots++;
                if (slot == _slots.Length)
                {
                    var larger = new EpollSocket?[_slots.Length * 2];
                    _slots.CopyTo(larger, 0);
                    Volatile.Write(ref _slots, larger);
                }
            }

            registered = new EpollSocket(socket, engine, this, ((ulong)++_generation << 32) | (uint)slot);
            _slots[slot] = registered;
        }

        try
        {
            EpollInterop.Add(_epoll, (int)socket.SafeHandle.DangerousGetHandle(), Watched, registered.Key);
        }
        catch
        {
            Remove(registered);
            throw;
        }

        return registered;
    }

    /// <summary>Frees the slot of a socket about to be closed: closing it takes it out of the epoll set.</summary>
    public void Remove(EpollSocket socket)
    {
        lock (_slotsLock)
        {
            if (ReferenceEquals(_slots[socket.Slot], socket))
            {
                _slots[socket.Slot] = null;
                _freeSlots.Push(socket.Slot);
            }
        }
    }

    private void Run()
    {
        _current = this;
        var events = (byte*)NativeMemory.Alloc((nuint)(BatchSize * EpollInterop.EventSize));
        try
        {
            while (!_stopping)
            {
                var count = EpollInterop.Wait(_epoll, events, BatchSize, block: _deferred.IsEmpty);
                for (var i = 0; i < count; i++)
                {
                    Dispatch(EpollInterop.DataAt(events, i), EpollInterop.EventsAt(events, i));
                }

                RunDeferred();
            }
        }
        finally
        {
            NativeMemory.Free(events);
        }
    }

    private void Dispatch(ulong key, uint events)
    {
        if (key == WakeupKey)
        {
            EpollInterop.Drain(_wakeup);
            return;
        }

        var slots = Volatile.Read(ref _slots);
        var slot = (int)(uint)key;
        if (slot >= slots.Length || slots[slot] is not { } socket || socket.Key != key)
        {
            return; // an event for a socket that was closed meanwhile
        }

        try
        {
            if ((events & ReadEvents) != 0)
            {
                socket.Readable.Signal((events & ReadEnds) != 0, (events & EpollInterop.Urgent) != 0);
            }

            if ((events & WriteEvents) != 0)
            {
                socket.Writable.Signal((events & WriteEnds) != 0);
            }
        }
        catch (Exception e)
        {
            // A continuation that threw out of its await is a bug of its own; this loop still serves every other socket.
            _faulted(e);
        }
    }

    /// <summary>
    /// Resumes <paramref name="socket"/>'s reader (or, with <paramref name="write"/>, its sender) once the events ready
    /// now have been served: how a busy tunnel lets the rest of the loop run without leaving the loop's thread, and how
    /// a sender lets the work in hand finish writing before it sends.
    /// </summary>
    public void Defer(EpollSocket socket, bool write = false)
    {
        _deferred.Enqueue((socket, write));
        if (Thread.CurrentThread != _thread)
        {
            EpollInterop.Signal(_wakeup); // the loop may be asleep in epoll_wait
        }
    }

    /// <summary>Only what was deferred before this round: a reader that defers again waits for the next one.</summary>
    private void RunDeferred()
    {
        for (var pending = _deferred.Count; pending > 0 && _deferred.TryDequeue(out var deferred); pending--)
        {
            try
            {
                (deferred.Write ? deferred.Socket.Writable : deferred.Socket.Readable).Signal(ended: false);
            }
            catch (Exception e)
            {
                // As in Dispatch: one continuation's bug does not stop the loop.
                _faulted(e);
            }
        }
    }

    /// <summary>Stops the thread; the sockets still registered get no more events.</summary>
    /// <exception cref="InvalidOperationException">Called on the loop's own thread, which would wait for itself.</exception>
    public void Dispose()
    {
        if (Thread.CurrentThread == _thread)
        {
            throw new InvalidOperationException($"Epoll loop {Index} cannot be stopped from its own thread: it would wait for itself.");
        }

        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _stopping = true;
        EpollInterop.Signal(_wakeup);
        _thread.Join();
        EpollInterop.Close(_wakeup);
        EpollInterop.Close(_epoll);
    }
}
