using Gateway.Configuration;

namespace Gateway.Passthrough;

/// <param name="State">Active takes new connections; Drain keeps the open ones but takes no new ones; Disabled takes none.</param>
internal sealed record PassthroughDestinationConfig(string DestinationId, HostPort Address, DestinationAdminState State = DestinationAdminState.Active);
