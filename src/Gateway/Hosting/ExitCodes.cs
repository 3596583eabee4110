namespace Gateway.Hosting;

/// <summary>
/// What the process's exit code tells a service manager: whether starting again can help.
/// systemd names them in <c>systemctl status</c>: 1 FAILURE, 2 INVALIDARGUMENT (LSB), 71 OSERR (BSD sysexits).
/// </summary>
internal static class ExitCodes
{
    /// <summary>Served and stopped when asked; <c>--check</c>: the configuration is usable.</summary>
    public const int Ok = 0;

    /// <summary>Something nobody planned for (a bug): the message and stack trace are printed. A restart may help.</summary>
    public const int Failure = 1;

    /// <summary>The command line or the configuration is wrong: nothing changes until someone edits it, so never retry.</summary>
    public const int Invalid = 2;

    /// <summary>
    /// The machine refused what the configuration asks for (EX_OSERR): a listener's port in use, a port below 1024
    /// without the capability, an address not on this host (yet), out of descriptors. Retrying can succeed.
    /// </summary>
    public const int MachineRefused = 71;
}
