using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Certificates.Acme;

/// <summary>Source-generated JSON for ACME resources: no reflection, no per-call options.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AcmeDirectory))]
[JsonSerializable(typeof(AcmeOrder))]
[JsonSerializable(typeof(AcmeAuthorization))]
[JsonSerializable(typeof(AcmeChallenge))]
[JsonSerializable(typeof(AcmeProblem))]
[JsonSerializable(typeof(AcmeNewAccount))]
[JsonSerializable(typeof(AcmeNewOrder))]
[JsonSerializable(typeof(AcmeFinalize))]
[JsonSerializable(typeof(AcmeEmpty))]
[JsonSerializable(typeof(AcmeLockInfo))]
[JsonSerializable(typeof(AcmeCertificateRecord))]
internal sealed partial class AcmeJson : JsonSerializerContext;
