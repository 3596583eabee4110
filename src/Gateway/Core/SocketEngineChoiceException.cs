namespace Gateway.Core;

/// <summary><c>GATEWAY_SOCKET_ENGINE</c> names no engine this machine has: a wrong setting, like a wrong key in the file.</summary>
internal sealed class SocketEngineChoiceException(string message) : Exception(message);
