using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Gateway.Hosting;

/// <summary>
/// Runs socket continuations on the thread that polled the socket (one per core), as nginx and HAProxy run
/// their event loops, instead of handing every read and write to the thread pool. A proxy does little work
/// per event, so the hand-offs cost more than the work: a tunnelled request and its answer changed threads
/// four times.
/// </summary>
/// <remarks>
/// The runtime reads its switch once, when the first socket is polled, so <see cref="Enable"/> runs first
/// thing in the process. An operator can still turn it off with
/// <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0</c>. Nothing on these threads may block: slow work
/// (password hashing) moves to the thread pool explicitly.
/// </remarks>
internal static class InlineIo
{
    private const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>True when socket completions run inline; Kestrel's pipes then skip the thread pool too.</summary>
    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>Turns inline completions on unless the environment already decides.</summary>
    public static void Enable()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }

    public static void Configure(SocketTransportOptions options) => options.UnsafePreferInlineScheduling = Enabled;
}
