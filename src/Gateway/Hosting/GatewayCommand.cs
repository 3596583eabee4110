namespace Gateway.Hosting;

/// <summary>What one run of the program does; serving unless a flag says otherwise.</summary>
internal enum GatewayCommand
{
    Serve,
    Check,
    HashPassword,
    Help,
    Version,
}
