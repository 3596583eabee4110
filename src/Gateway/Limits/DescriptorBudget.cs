using Gateway.Configuration;
using Gateway.Core;
using Gateway.Diagnostics;
using Gateway.Passthrough;

namespace Gateway.Limits;

/// <summary>
/// The process's descriptors (RLIMIT_NOFILE) and the connection limit they allow, HAProxy's maxconn derived from
/// <c>ulimit -n</c>: what is left once the gateway has started, less a reserve, over two descriptors a connection.
/// Used when Gateway:Limits:MaxConnections is unset; a set one applies up to what the descriptors hold and is capped
/// there with a warning (HAProxy does the same when <c>ulimit -n</c> cannot hold its maxconn): past it, the process
/// would fail to start a thread and die.
/// </summary>
/// <remarks>
/// Running out of descriptors is worse than refusing connections: the runtime then fails to start threads (a fatal
/// error), to load an assembly (remembered as failed for the life of the process) or to open a certificate, a
/// health check or a backend connection. The reserve is for those: threads the runtime starts later (each opens a
/// pipe while it starts), late assembly loads, health checks, certificate and config reads, ACME, the admin listener.
/// </remarks>
internal sealed partial class DescriptorBudget
{
    /// <summary>A tunnel holds its client and its backend; a terminated connection itself and the backend connection of its request.</summary>
    public const int PerConnection = 2;

    /// <summary>The reserve is this many descriptors plus a share of the limit (<see cref="ReserveDivisor"/>).</summary>
    public const int FixedReserve = 64;

    public const int ReserveDivisor = 16;

    /// <summary>What binding the listeners and starting Kestrel's threads adds before the count at start is taken.</summary>
    private const int StartAllowance = 16;

    /// <summary>Below this many connections the derived limit is worth a warning of its own.</summary>
    private const int FewConnections = 100;

    private readonly ILogger _logger;
    private readonly SocketBudget _sockets;
    private readonly long _before;
    private int _atStart;
    private int _derived;
    private (int? Configured, long ClusterTotal) _warned;

    public DescriptorBudget(GenerationStore generations, SocketBudget sockets, ILogger<DescriptorBudget> logger)
    {
        _logger = logger;
        _sockets = sockets;
        if (OpenFilesLimit.RaiseToHard() is var (soft, before, hard))
        {
            Limit = soft;
            HardLimit = hard;
            _before = before;
        }

        // Until the count at start: what is open now, and an allowance for what the start adds.
        Derive((OpenFilesLimit.CountOpen() ?? 0) + StartAllowance);
        generations.Published += (_, next) => Check(next);
    }

    /// <summary>The soft RLIMIT_NOFILE in force (raised to the hard one at start); null where there is none.</summary>
    public long? Limit { get; }

    public long? HardLimit { get; }

    /// <summary>Descriptors the process held once started, connections aside.</summary>
    public int OpenAtStart => Volatile.Read(ref _atStart);

    /// <summary>Descriptors kept free for everything that is not a connection.</summary>
    public int Reserve => Limit is { } limit ? (int)Math.Min(FixedReserve + (limit / ReserveDivisor), int.MaxValue) : 0;

    /// <summary>The connections the descriptors hold: the limit when Gateway:Limits:MaxConnections is unset.</summary>
    public int DerivedMaxConnections => Volatile.Read(ref _derived);

    /// <summary>Connections open at once on the public listeners: the configured limit, at most the derived one.</summary>
    public int MaxConnections(LimitsConfig limits) => Math.Min(limits.MaxConnections ?? int.MaxValue, DerivedMaxConnections);

    /// <summary>Counts what the started process holds, derives the limit from it, and says so (and what does not fit).</summary>
    /// <param name="connectionsOpen">Connections already accepted, not part of what the process holds on its own.</param>
    public void Started(Generation generation, int connectionsOpen)
    {
        if (Limit is not { } limit)
        {
            Log.NoLimit(_logger);
            return;
        }

        if (OpenFilesLimit.CountOpen() is { } open)
        {
            Derive(Math.Max(0, open - (PerConnection * connectionsOpen)));
        }

        var configured = generation.Get<LimitsConfig>().MaxConnections;
        var raised = _before < limit ? $", raised from {_before}" : "";
        var source = configured is { } set
            ? set <= DerivedMaxConnections ? $"{set} (Gateway:Limits:MaxConnections)" : $"{DerivedMaxConnections} (Gateway:Limits:MaxConnections {set}, capped)"
            : $"{DerivedMaxConnections} (derived: Gateway:Limits:MaxConnections is unset)";
        Log.Budget(_logger, limit, HardLimit ?? limit, raised, OpenAtStart, Reserve, source);
        if (configured is null && DerivedMaxConnections < FewConnections)
        {
            Log.FewConnections(_logger, limit, DerivedMaxConnections, OpenAtStart, Reserve);
        }

        Check(generation);
    }

    /// <summary>Warns about limits the descriptors cannot hold; once per distinct setting, at start and on reloads.</summary>
    private void Check(Generation generation)
    {
        if (Limit is not { } limit)
        {
            return;
        }

        var configured = generation.Get<LimitsConfig>().MaxConnections;
        var clusterTotal = generation.Get<PassthroughConfig>().Clusters.Values.Sum(c => (long)(c.MaxConnections ?? 0));
        var last = _warned;
        _warned = (configured, clusterTotal);
        var derived = DerivedMaxConnections;
        if (configured > derived && configured != last.Configured)
        {
            Log.ConfiguredTooHigh(_logger, configured.Value, ((long)configured.Value * PerConnection) + OpenAtStart + Reserve, limit, derived);
        }

        if (clusterTotal > derived && clusterTotal != last.ClusterTotal)
        {
            Log.ClustersTooHigh(_logger, clusterTotal, (clusterTotal * PerConnection) + OpenAtStart + Reserve, limit, derived);
        }
    }

    private void Derive(int atStart)
    {
        Volatile.Write(ref _atStart, atStart);
        var derived = Limit is { } limit ? Math.Clamp((limit - atStart - Reserve) / PerConnection, 1, int.MaxValue) : int.MaxValue;
        Volatile.Write(ref _derived, (int)derived);

        // The same descriptors, for every connection's sockets: a client connection's and each backend connection's.
        _sockets.Capacity = (int)Math.Min(derived * PerConnection, int.MaxValue);
    }

    private static partial class Log
    {
        [LoggerMessage(LogEvents.DescriptorBudget, LogLevel.Information, "Open files: limit {Limit} (hard {HardLimit}{Raised}), {OpenAtStart} open once started, {Reserve} kept free; connections on the public listeners limited to {MaxConnections}", EventName = "DescriptorBudget")]
        public static partial void Budget(ILogger logger, long limit, long hardLimit, string raised, int openAtStart, int reserve, string maxConnections);

        [LoggerMessage(LogEvents.FewConnections, LogLevel.Warning, "Open files: the limit {Limit} leaves room for only {MaxConnections} connections ({OpenAtStart} descriptors open once started, {Reserve} kept free); raise it (systemd LimitNOFILE, docker --ulimit nofile, ulimit -n)", EventName = "FewConnections")]
        public static partial void FewConnections(ILogger logger, long limit, int maxConnections, int openAtStart, int reserve);

        [LoggerMessage(LogEvents.MaxConnectionsTooHigh, LogLevel.Warning, "Gateway:Limits:MaxConnections {Configured} needs about {Needed} descriptors, the open-files limit {Limit} holds {MaxConnections} connections: connections are limited to {MaxConnections}, since past that the process would run out of descriptors; raise the limit (LimitNOFILE) or lower MaxConnections", EventName = "MaxConnectionsTooHigh")]
        public static partial void ConfiguredTooHigh(ILogger logger, int configured, long needed, long limit, int maxConnections);

        [LoggerMessage(LogEvents.ClusterLimitsTooHigh, LogLevel.Warning, "The passthrough clusters' MaxConnections add up to {Total} tunnels, about {Needed} descriptors; the open-files limit {Limit} holds {MaxConnections} connections: the clusters' limits cannot all be reached; raise the limit (LimitNOFILE)", EventName = "ClusterLimitsTooHigh")]
        public static partial void ClustersTooHigh(ILogger logger, long total, long needed, long limit, int maxConnections);

        [LoggerMessage(LogEvents.NoDescriptorLimit, LogLevel.Information, "Open files: no descriptor limit to derive a connection limit from on this system; only Gateway:Limits:MaxConnections limits connections", EventName = "NoDescriptorLimit")]
        public static partial void NoLimit(ILogger logger);
    }
}
