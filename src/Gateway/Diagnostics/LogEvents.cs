namespace Gateway.Diagnostics;

/// <summary>
/// Every log event's id, one table for the process: an operator filters and alerts on ids, so an id names one message
/// for good. Each capability has its own hundred (or fifty); a new message takes the next free id of its capability,
/// and a removed one's id is not reused.
/// </summary>
internal static class LogEvents
{
    // Configuration: 200-
    public const int WatchFailed = 200;

    // Reload: 250-
    public const int ConfigApplied = 250;
    public const int ConfigRejected = 251;
    public const int RestartNeeded = 252;
    public const int ReloadCrashed = 253;
    public const int ConfigWarning = 254;
    public const int FollowerFailed = 255;

    // Edge: listeners, routing, hand-off to Kestrel: 400-
    public const int HelloRejected = 400;
    public const int AcceptFailed = 401;
    public const int ConnectionFailed = 402;
    public const int TunnelsClosedOnStop = 403;
    public const int NotHandedOff = 404;
    public const int AcceptRecovered = 405;
    public const int OptionalListenerNotBound = 406;
    public const int SocketContinuationFault = 407;
    public const int TerminatedConnectionError = 408;
    public const int TerminatedConnectionCommunicationError = 409;
    public const int TerminatedConnectionCloseCallbackFailed = 410;

    // PROXY protocol: 500-
    public const int ProxyHeaderRefused = 500;

    // Limits: 550-
    public const int DescriptorBudget = 550;
    public const int FewConnections = 551;
    public const int MaxConnectionsTooHigh = 552;
    public const int ClusterLimitsTooHigh = 553;
    public const int NoDescriptorLimit = 554;
    public const int BackendConnectionsRefused = 555;

    // Passthrough: balancing and health: 600-
    public const int DestinationDown = 600;
    public const int DestinationUp = 601;
    public const int HealthCheckSkipped = 602;
    public const int HealthCheckError = 603;

    // Tunnels: 650-
    public const int RemovedRouteTunnelsClosed = 650;
    public const int NoDestination = 651;
    public const int ConnectFailed = 652;
    public const int TunnelClosed = 653;
    public const int ClusterFull = 654;
    public const int DestinationDownOnConnect = 655;

    // L7 proxy: 700-
    public const int NtlmRefused = 700;
    public const int BoundConnectionClosed = 701;
    public const int BoundConnectionNotFound = 702;
    public const int ForwardingErrors = 703;

    // Certificates and ACME: 800-
    public const int AcmeOrdering = 800;
    public const int AcmeIssued = 801;
    public const int AcmeFailed = 802;
    public const int AcmeTermsNotAccepted = 803;
    public const int AcmeHostSkipped = 804;
    public const int AcmeLoaded = 805;
    public const int AcmeUnreadable = 806;
    public const int AcmeCrashed = 807;
    public const int AcmeChallengeOpened = 808;
    public const int AcmeChallengeFailed = 809;

    // ACME, instances sharing a certificate store: 830-
    public const int AcmeLockHeldElsewhere = 830;
    public const int AcmePickedUp = 831;
    public const int AcmeStoredRefused = 832;
    public const int AcmeStoreUnwatched = 833;
    public const int AcmeRescanFailed = 834;

    // ACME dns-01: 840-
    public const int AcmeDnsRecordPublished = 840;
    public const int AcmeDnsRecordRemoved = 841;
    public const int AcmeDnsCleanupFailed = 842;

    // Admin: 850-
    public const int DestinationStateSet = 850;
    public const int ProxyDestinationStateSet = 851;

    // Access log: 870-
    public const int AccessLogWriteFailed = 870;

    // Hosting: 900-
    public const int NoFirstRequest = 900;
}
