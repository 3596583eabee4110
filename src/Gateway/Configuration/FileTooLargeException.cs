namespace Gateway.Configuration;

/// <summary>A file above the bound its reader sets; the message says which bound.</summary>
internal sealed class FileTooLargeException(string path, int maxBytes)
    : IOException($"'{path}' is larger than {(maxBytes >= 1024 * 1024 ? $"{maxBytes / 1024 / 1024} MiB" : $"{maxBytes} bytes")}");
