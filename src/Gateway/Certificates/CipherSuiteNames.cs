using System.Collections.Frozen;
using System.Net.Security;

namespace Gateway.Certificates;

/// <summary>
/// Cipher suite names as operators write them: IANA's (<c>TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256</c>, the names of
/// <see cref="TlsCipherSuite"/>) or OpenSSL's (<c>ECDHE-RSA-AES128-GCM-SHA256</c>, what nginx's <c>ssl_ciphers</c> and
/// HAProxy's <c>ciphers</c> take). OpenSSL names TLS 1.3 suites by their IANA names.
/// </summary>
internal static class CipherSuiteNames
{
    /// <summary>Mozilla's "intermediate" profile (v5.7), in its order: the TLS 1.2 suites with forward secrecy and AEAD, then TLS 1.3's.</summary>
    public static readonly IReadOnlyList<TlsCipherSuite> Intermediate =
    [
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    ];

    // OpenSSL 3's names of the TLS 1.2 suites a server with an RSA or ECDSA certificate can negotiate
    // (`openssl ciphers -stdname ALL`, without PSK, SRP, anonymous and null-encryption suites).
    private static readonly FrozenDictionary<string, TlsCipherSuite> OpenSsl = new Dictionary<string, TlsCipherSuite>(StringComparer.OrdinalIgnoreCase)
    {
        ["ECDHE-ECDSA-AES256-GCM-SHA384"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        ["ECDHE-RSA-AES256-GCM-SHA384"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        ["DHE-RSA-AES256-GCM-SHA384"] = TlsCipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
        ["ECDHE-ECDSA-CHACHA20-POLY1305"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        ["ECDHE-RSA-CHACHA20-POLY1305"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ["DHE-RSA-CHACHA20-POLY1305"] = TlsCipherSuite.TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ["ECDHE-ECDSA-AES256-CCM8"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8,
        ["ECDHE-ECDSA-AES256-CCM"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CCM,
        ["DHE-RSA-AES256-CCM8"] = TlsCipherSuite.TLS_DHE_RSA_WITH_AES_256_CCM_8,
        ["DHE-RSA-AES256-CCM"] = TlsCipherSuite.TLS_DHE_RSA_WITH_AES_256_CCM,
        ["ECDHE-ECDSA-ARIA256-GCM-SHA384"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384,
        ["ECDHE-ARIA256-GCM-SHA384"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384,
        ["DHE-RSA-ARIA256-GCM-SHA384"] = TlsCipherSuite.TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384,
        ["ECDHE-ECDSA-AES128-GCM-SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ["ECDHE-RSA-AES128-GCM-SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ["DHE-RSA-AES128-GCM-SHA256"] = TlsCipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
        ["ECDHE-ECDSA-AES128-CCM8"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
        ["ECDHE-ECDSA-AES128-CCM"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM,
        ["DHE-RSA-AES128-CCM8"] = TlsCipherSuite.TLS_DHE_RSA_WITH_AES_128_CCM_8,
        ["DHE-RSA-AES128-CCM"] = TlsCipherSuite.TLS_DHE_RSA_WITH_AES_128_CCM,
        ["ECDHE-ECDSA-ARIA128-GCM-SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256,
        ["ECDHE-ARIA128-GCM-SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256,
        ["DHE-RSA-ARIA128-GCM-SHA256"] = TlsCipherSuite.TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256,
        ["ECDHE-ECDSA-AES256-SHA384"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
        ["ECDHE-RSA-AES256-SHA384"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
        ["DHE-RSA-AES256-SHA256"] = TlsCipherSuite.TLS_DHE_RSA_WITH_AES_256_CBC_SHA256,
        ["ECDHE-ECDSA-CAMELLIA256-SHA384"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384,
        ["ECDHE-RSA-CAMELLIA256-SHA384"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384,
        ["DHE-RSA-CAMELLIA256-SHA256"] = TlsCipherSuite.TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256,
        ["ECDHE-ECDSA-AES128-SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
        ["ECDHE-RSA-AES128-SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
        ["DHE-RSA-AES128-SHA256"] = TlsCipherSuite.TLS_DHE_RSA_WITH_AES_128_CBC_SHA256,
        ["ECDHE-ECDSA-CAMELLIA128-SHA256"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256,
        ["ECDHE-RSA-CAMELLIA128-SHA256"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256,
        ["DHE-RSA-CAMELLIA128-SHA256"] = TlsCipherSuite.TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256,
        ["ECDHE-ECDSA-AES256-SHA"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        ["ECDHE-RSA-AES256-SHA"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        ["DHE-RSA-AES256-SHA"] = TlsCipherSuite.TLS_DHE_RSA_WITH_AES_256_CBC_SHA,
        ["DHE-RSA-CAMELLIA256-SHA"] = TlsCipherSuite.TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA,
        ["ECDHE-ECDSA-AES128-SHA"] = TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        ["ECDHE-RSA-AES128-SHA"] = TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        ["DHE-RSA-AES128-SHA"] = TlsCipherSuite.TLS_DHE_RSA_WITH_AES_128_CBC_SHA,
        ["DHE-RSA-CAMELLIA128-SHA"] = TlsCipherSuite.TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA,
        ["AES256-GCM-SHA384"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384,
        ["AES256-CCM8"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_CCM_8,
        ["AES256-CCM"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_CCM,
        ["ARIA256-GCM-SHA384"] = TlsCipherSuite.TLS_RSA_WITH_ARIA_256_GCM_SHA384,
        ["AES128-GCM-SHA256"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256,
        ["AES128-CCM8"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_CCM_8,
        ["AES128-CCM"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_CCM,
        ["ARIA128-GCM-SHA256"] = TlsCipherSuite.TLS_RSA_WITH_ARIA_128_GCM_SHA256,
        ["AES256-SHA256"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA256,
        ["CAMELLIA256-SHA256"] = TlsCipherSuite.TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256,
        ["AES128-SHA256"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA256,
        ["CAMELLIA128-SHA256"] = TlsCipherSuite.TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256,
        ["AES256-SHA"] = TlsCipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA,
        ["CAMELLIA256-SHA"] = TlsCipherSuite.TLS_RSA_WITH_CAMELLIA_256_CBC_SHA,
        ["AES128-SHA"] = TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA,
        ["CAMELLIA128-SHA"] = TlsCipherSuite.TLS_RSA_WITH_CAMELLIA_128_CBC_SHA,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>The suite <paramref name="name"/> names, by its IANA or OpenSSL name, any case.</summary>
    public static bool TryParse(string name, out TlsCipherSuite suite)
    {
        if (OpenSsl.TryGetValue(name, out suite))
        {
            return true;
        }

        // Names only: Enum.TryParse would take "49199" as well.
        return name.StartsWith("TLS_", StringComparison.OrdinalIgnoreCase) && Enum.TryParse(name, ignoreCase: true, out suite) && Enum.IsDefined(suite);
    }

    /// <summary>TLS 1.3 suites (0x13xx) are negotiated only over TLS 1.3, and only they are.</summary>
    public static bool IsTls13(TlsCipherSuite suite) => ((int)suite >> 8) == 0x13;
}
