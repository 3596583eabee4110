namespace Gateway.Metrics;

/// <summary>The direction tag of <c>gateway.proxy.ntlm_refused</c>.</summary>
internal static class NtlmRefusals
{
    /// <summary>The client sent credentials of a scheme that is not per-request (NTLM, Negotiate, Kerberos...).</summary>
    public const string Request = "request";

    /// <summary>The backend's answer bound an identity to its connection (a Negotiate challenge, Persistent-Auth...).</summary>
    public const string Response = "response";
}
