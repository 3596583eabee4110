using System.Runtime.InteropServices;

namespace Gateway.Sockets.Epoll;

/// <summary>The few Linux calls the loop needs, straight from the C library.</summary>
internal static unsafe partial class EpollInterop
{
    public const int CtlAdd = 1;

    public const uint In = 0x001;
    public const uint Urgent = 0x002;
    public const uint Out = 0x004;
    public const uint Error = 0x008;
    public const uint HangUp = 0x010;
    public const uint ReadHangUp = 0x2000;
    public const uint EdgeTriggered = 1u << 31;

    private const int CloseOnExec = 0x80000;
    private const int EintrErrno = 4;
    private const string Libc = "libc";

    /// <summary>x86-64 packs <c>struct epoll_event</c> (12 bytes); other 64-bit ABIs align its data to 8 (16 bytes).</summary>
    public static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static readonly int DataOffset = EventSize - sizeof(ulong);

    public static int Create()
    {
        var fd = epoll_create1(CloseOnExec);
        return fd >= 0 ? fd : throw Failure("epoll_create1");
    }

    /// <summary>A non-blocking eventfd, to wake a loop that is waiting.</summary>
    public static int CreateWakeup()
    {
        const int NonBlocking = 0x800;
        var fd = eventfd(0, CloseOnExec | NonBlocking);
        return fd >= 0 ? fd : throw Failure("eventfd");
    }

    public static void Add(int epoll, int fd, uint events, ulong data)
    {
        var ev = stackalloc byte[16];
        Write(ev, events, data);
        if (epoll_ctl(epoll, CtlAdd, fd, ev) != 0)
        {
            throw Failure("epoll_ctl");
        }
    }

    /// <param name="block">False to return at once when nothing is ready.</param>
    /// <returns>The number of events; 0 when interrupted by a signal.</returns>
    public static int Wait(int epoll, byte* events, int capacity, bool block)
    {
        var count = epoll_wait(epoll, events, capacity, block ? -1 : 0);
        if (count >= 0)
        {
            return count;
        }

        return Marshal.GetLastPInvokeError() == EintrErrno ? 0 : throw Failure("epoll_wait");
    }

    public static uint EventsAt(byte* events, int index) => *(uint*)(events + (index * EventSize));

    public static ulong DataAt(byte* events, int index) => *(ulong*)(events + (index * EventSize) + DataOffset);

    public static void Signal(int eventFd)
    {
        var one = 1UL;
        _ = write(eventFd, &one, sizeof(ulong));
    }

    public static void Drain(int eventFd)
    {
        ulong value;
        _ = read(eventFd, &value, sizeof(ulong));
    }

    public static void Close(int fd) => _ = close(fd);

    private static void Write(byte* ev, uint events, ulong data)
    {
        *(uint*)ev = events;
        *(ulong*)(ev + DataOffset) = data;
    }

    private static InvalidOperationException Failure(string call) =>
        new($"{call} failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int epoll_wait(int epfd, byte* events, int maxevents, int timeout);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int eventfd(uint initval, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial nint write(int fd, void* buf, nint count);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial nint read(int fd, void* buf, nint count);

    [LibraryImport(Libc)]
    private static partial int close(int fd);
}
