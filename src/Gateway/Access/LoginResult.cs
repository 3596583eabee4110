namespace Gateway.Access;

/// <summary>What <see cref="BasicAuthenticator"/> made of a request's credentials.</summary>
internal enum LoginResult
{
    /// <summary>The credentials are a configured user's password.</summary>
    Accepted,

    /// <summary>No credentials, unreadable ones, or a wrong password: 401 after <see cref="BasicAuthenticator.FailureDelay"/>.</summary>
    Refused,

    /// <summary>The client or the user failed too often lately: 429 at once, no password checked (<see cref="LoginThrottle"/>).</summary>
    Throttled,
}
