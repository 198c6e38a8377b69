using System.Globalization;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.CertManager;

/// <summary>
/// A Certificate's spec as the stand-in issues it (cert-manager <c>pkg/apis/certmanager/v1/types_certificate.go</c>),
/// with cert-manager's defaults: <c>duration</c> 90 days (2160h), <c>renewBefore</c> a third of it, private key RSA
/// 2048 (ECDSA 256 when only the algorithm is ECDSA), PKCS1 encoding, usages <c>digital signature</c> and
/// <c>key encipherment</c>, issuer kind Issuer. <see cref="Parse"/> refuses what cert-manager's validating webhook
/// refuses (<c>internal/apis/certmanager/validation/certificate.go</c>), in its words as far as they are known.
/// </summary>
internal sealed record CertificateSpec(
    string SecretName,
    string CommonName,
    IReadOnlyList<string> DnsNames,
    IReadOnlyList<string> IpAddresses,
    IReadOnlyList<string> Uris,
    IReadOnlyList<string> EmailAddresses,
    bool IsCA,
    TimeSpan Duration,
    TimeSpan RenewBefore,
    string KeyAlgorithm,
    int KeySize,
    string KeyEncoding,
    IReadOnlyList<string> Usages,
    string IssuerName,
    string IssuerKind)
{
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromHours(2160);

    /// <summary>The spec, or an <see cref="ArgumentException"/> whose message is the refusal.</summary>
    public static CertificateSpec Parse(JsonObject certificate)
    {
        var spec = certificate["spec"] as JsonObject ?? [];
        static List<string> Strings(JsonNode? node) => [.. (node as JsonArray ?? []).Select(J.Text).Where(s => s.Length > 0)];
        var secretName = J.Text(spec["secretName"]);
        if (secretName.Length == 0) throw new ArgumentException("spec.secretName: Required value: must be specified");
        var issuer = spec["issuerRef"] as JsonObject ?? [];
        var issuerName = J.Text(issuer["name"]);
        if (issuerName.Length == 0) throw new ArgumentException("spec.issuerRef.name: Required value: must be specified");
        var issuerKind = J.Text(issuer["kind"]) is { Length: > 0 } kind ? kind : "Issuer";
        var issuerGroup = J.Text(issuer["group"]);
        if (issuerGroup is not ("" or "cert-manager.io") || issuerKind is not ("Issuer" or "ClusterIssuer"))
        {
            throw new ArgumentException($"spec.issuerRef: the stand-in issues from cert-manager.io Issuers and ClusterIssuers only, not {issuerKind}.{issuerGroup}");
        }

        var commonName = J.Text(spec["commonName"]);
        var dnsNames = Strings(spec["dnsNames"]);
        var ips = Strings(spec["ipAddresses"]);
        var uris = Strings(spec["uris"]);
        var emails = Strings(spec["emailAddresses"]);
        if (commonName.Length == 0 && dnsNames.Count == 0 && ips.Count == 0 && uris.Count == 0 && emails.Count == 0)
        {
            throw new ArgumentException("spec: Invalid value: \"\": at least one of commonName (from the commonName field or from a literalSubject), dnsNames, uriSANs, ipAddresses, emailSANs or otherNames must be set");
        }

        if (commonName.Length > 64) throw new ArgumentException("spec.commonName: Too long: may not be more than 64 bytes");
        var duration = DurationOf(spec["duration"], "spec.duration") ?? DefaultDuration;
        if (duration < TimeSpan.FromHours(1)) throw new ArgumentException($"spec.duration: Invalid value: \"{GoDuration.Format(duration)}\": certificate duration must be greater than 1h0m0s");
        var renewBefore = DurationOf(spec["renewBefore"], "spec.renewBefore") ?? duration / 3;
        if (renewBefore >= duration)
        {
            throw new ArgumentException($"spec.renewBefore: Invalid value: \"{GoDuration.Format(renewBefore)}\": certificate duration {GoDuration.Format(duration)} must be greater than renewBefore {GoDuration.Format(renewBefore)}");
        }

        var key = spec["privateKey"] as JsonObject ?? [];
        var algorithm = J.Text(key["algorithm"]) is { Length: > 0 } a ? a : "RSA";
        var size = J.Int(key["size"], 0);
        switch (algorithm)
        {
            case "RSA":
                size = size == 0 ? 2048 : size;
                if (size is < 2048 or > 8192) throw new ArgumentException($"spec.privateKey.size: Invalid value: {size}: must be between 2048 & 8192 for rsa keyAlgorithm");
                break;
            case "ECDSA":
                size = size == 0 ? 256 : size;
                if (size is not (256 or 384 or 521)) throw new ArgumentException($"spec.privateKey.size: Unsupported value: {size}: supported values: \"256\", \"384\", \"521\"");
                break;
            case "Ed25519":
                throw new ArgumentException("spec.privateKey.algorithm: Ed25519 keys are not issued by the stand-in (System.Security.Cryptography has no Ed25519)");
            default:
                throw new ArgumentException($"spec.privateKey.algorithm: Unsupported value: \"{algorithm}\": supported values: \"RSA\", \"ECDSA\", \"Ed25519\"");
        }

        var encoding = J.Text(key["encoding"]) is { Length: > 0 } e ? e : "PKCS1";
        if (encoding is not ("PKCS1" or "PKCS8")) throw new ArgumentException($"spec.privateKey.encoding: Unsupported value: \"{encoding}\": supported values: \"PKCS1\", \"PKCS8\"");
        var usages = Strings(spec["usages"]);
        if (usages.FirstOrDefault(u => !CertificateSigner.KnownUsage(u)) is { } unknown) throw new ArgumentException($"spec.usages: Unsupported value: \"{unknown}\"");

        return new CertificateSpec(secretName, commonName, dnsNames, ips, uris, emails, J.Bool(spec["isCA"], false), duration, renewBefore, algorithm, size, encoding,
            usages.Count > 0 ? usages : ["digital signature", "key encipherment"], issuerName, issuerKind);
    }

    private static TimeSpan? DurationOf(JsonNode? node, string field)
    {
        var text = J.Text(node);
        if (text.Length == 0) return null;
        return GoDuration.Parse(text) ?? throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{field}: Invalid value: \"{text}\": time: invalid duration \"{text}\""));
    }
}
