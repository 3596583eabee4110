namespace Gateway.Passthrough;

internal enum DestinationAdminState
{
    Active,
    Drain,
    Disabled,
}
