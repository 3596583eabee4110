namespace Gateway.Hosting;

/// <summary>The command line cannot be run as written; the message says why and what to write instead.</summary>
internal sealed class CommandLineException(string message) : Exception(message);
