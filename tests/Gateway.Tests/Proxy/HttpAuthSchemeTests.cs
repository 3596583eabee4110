using Gateway.Proxy;

namespace Gateway.Tests.Proxy;

public sealed class HttpAuthSchemeTests
{
    [Theory]
    [InlineData("Basic dXNlcjpwYXNz", "Basic", "dXNlcjpwYXNz")]
    [InlineData("Basic\tdXNlcjpwYXNz", "Basic", "dXNlcjpwYXNz")]
    [InlineData("basic \t dXNlcjpwYXNz ", "basic", "dXNlcjpwYXNz")]
    [InlineData("  Negotiate YIIB", "Negotiate", "YIIB")]
    [InlineData("Negotiate", "Negotiate", "")]
    [InlineData("AWS4-HMAC-SHA256 Credential=a/b, Signature=c", "AWS4-HMAC-SHA256", "Credential=a/b, Signature=c")]
    public void Credentials_are_a_token_then_the_end_or_spaces_and_tabs(string value, string scheme, string parameters)
    {
        Assert.True(HttpAuthScheme.TryReadCredentials(value, out var read, out var rest));
        Assert.Equal(scheme, read.ToString());
        Assert.Equal(parameters, rest.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData(" \t ")]
    [InlineData("Negotiate,YIIB")]
    [InlineData("Negotiate=YIIB")]
    [InlineData("Negotiate\u00a0YIIB")] // a no-break space is not whitespace to HTTP
    [InlineData("Negotiate\u000bYIIB")]
    [InlineData("Nego\u017Fiate YIIB")]
    [InlineData("\"Basic\" x")]
    [InlineData(",Basic x")]
    public void Anything_else_is_not_credentials(string value) =>
        Assert.False(HttpAuthScheme.TryReadCredentials(value, out _, out _));

    [Theory]
    [InlineData("Negotiate", "Negotiate")]
    [InlineData("Negotiate, NTLM", "Negotiate NTLM")]
    [InlineData("Negotiate oRQwEqADCgEAoQsGCSqGSIb3EgECAg==", "Negotiate")]
    [InlineData("Basic realm=\"a, Negotiate b\", charset=\"UTF-8\"", "Basic")]
    [InlineData("Basic realm=\"x\", Negotiate", "Basic Negotiate")]
    [InlineData("Bearer realm=example, error=\"invalid_token\", Kerberos", "Bearer Kerberos")]
    [InlineData("Digest realm=\"r\", nonce=\"n\", qop=\"auth\",, Negotiate abc==", "Digest Negotiate")]
    [InlineData("Basic realm = \"x\" , NTLM", "Basic NTLM")]
    [InlineData("Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"", "Newauth Basic")]
    [InlineData("Negotiate\tabc", "Negotiate")]
    public void Every_challenge_scheme_is_read(string value, string schemes)
    {
        var read = new List<string>();
        Assert.True(HttpAuthScheme.TryReadChallengeSchemes(value, read));
        Assert.Equal(schemes, string.Join(' ', read));
    }

    [Theory]
    [InlineData("Basic realm=\"unterminated")]
    [InlineData("Basic realm=x=y")]
    [InlineData("=x")]
    [InlineData("Negotiate abc def")]
    [InlineData("Basic realm=\"x\" Negotiate")]
    [InlineData("Negotiate\u00a0abc")]
    public void A_challenge_that_does_not_parse_is_reported(string value) =>
        Assert.False(HttpAuthScheme.TryReadChallengeSchemes(value, []));
}
