using Gateway.Configuration;
using Gateway.Limits;

namespace Gateway.Hosting;

/// <summary>
/// The settings read once, at start, as the process uses them until it stops: carried unchanged from generation to
/// generation, so a reload compares a wanted value with the one in use, not with the previous file's.
/// </summary>
/// <param name="Streams">Each stream's address, by id, as bound at start; a stream added later is bound nowhere.</param>
/// <param name="Http">Kestrel's limits, set on its options at start.</param>
/// <param name="ShutdownTimeout">The host's stop timeout, set on its options at start.</param>
internal sealed record StartSettings(IReadOnlyDictionary<string, HostPort> Streams, HttpLimitsConfig Http, TimeSpan ShutdownTimeout);
