using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.CertManager;

/// <summary>
/// cert-manager's controller, reduced to what a cluster's webhooks and databases need (cert-manager
/// <c>pkg/issuer/selfsigned</c>, <c>pkg/issuer/ca</c>, <c>pkg/controller/certificates</c>): it keeps each Issuer's and
/// ClusterIssuer's Ready condition (<c>selfSigned</c>: IsReady; <c>ca</c>: KeyPairVerified "Signing CA verified" once
/// its secret holds a CA certificate and its key, ErrGetKeyPair otherwise), and issues each Certificate into its
/// <c>secretName</c> Secret (<c>kubernetes.io/tls</c>: <c>tls.crt</c> with the chain, <c>tls.key</c>,
/// <c>ca.crt</c>; cert-manager's annotations naming the certificate and issuer) whenever the secret is missing or
/// incomplete, its key does not match, another issuer made it, the spec asks for other names, CA-ness or key, or its
/// renewal time has come; its status then says Ready ("Certificate is up to date and has not expired"), notBefore,
/// notAfter, renewalTime and revision, and until then Ready False and Issuing with the trigger's reason and message
/// (pkg/controller/certificates/trigger/policies). No CertificateRequest objects are made (issuance is direct), no
/// events are recorded, the Secret gets no owner reference (cert-manager's default), and a ClusterIssuer's CA secret is
/// read from the <c>cert-manager</c> namespace (the default cluster resource namespace).
/// </summary>
internal sealed class CertificateController
{
    private const string ClusterResourceNamespace = "cert-manager";
    private const string Annotation = "cert-manager.io/";
    private readonly CertManagerInformers _informers;
    private readonly ApiClient _api;
    private readonly StandInLog _log;
    private readonly TimeProvider _time;

    // Secrets this controller wrote whose new version its watch has not brought yet: a pass in between must not take
    // the old (or missing) secret for a reason to issue again (client-go's expectations, for one object).
    private readonly Dictionary<(string Namespace, string Name), (long Version, DateTime At)> _written = [];

    public CertificateController(CertManagerInformers informers, ApiClient api, StandInLog log, TimeProvider time)
    {
        _informers = informers;
        _api = api;
        _log = log;
        _time = time;
        Loop = new ReconcileLoop("cert-manager", ReconcileAsync, TimeSpan.FromSeconds(5), log);
        foreach (var informer in new[] { informers.Issuers, informers.ClusterIssuers, informers.Certificates, informers.Secrets }) informer.Changed += (_, _) => Loop.Trigger();
    }

    public ReconcileLoop Loop { get; }

    private async Task ReconcileAsync(CancellationToken stop)
    {
        foreach (var (kind, informer) in new[] { (Kind.Issuer, _informers.Issuers), (Kind.ClusterIssuer, _informers.ClusterIssuers) })
        {
            foreach (var issuer in informer.Items().Where(i => !J.Deleting(i)))
            {
                var state = Evaluate(issuer, kind);
                await SetConditionsAsync(kind, issuer, [Condition(issuer, "Ready", state.Ready, state.Reason, state.Message)], null, stop).ConfigureAwait(false);
            }
        }

        foreach (var certificate in _informers.Certificates.Items().Where(c => !J.Deleting(c)))
        {
            await ReconcileAsync(certificate, stop).ConfigureAwait(false);
        }
    }

    private async Task ReconcileAsync(JsonObject certificate, CancellationToken stop)
    {
        var ns = J.Namespace(certificate);
        var name = J.Name(certificate);
        CertificateSpec spec;
        try
        {
            spec = CertificateSpec.Parse(certificate);
        }
        catch (ArgumentException e)
        {
            // cert-manager's webhook would have refused it; the stand-in stores it and says why it is not issued.
            await SetConditionsAsync(Kind.Certificate, certificate, [Condition(certificate, "Ready", false, "Invalid", e.Message)], null, stop).ConfigureAwait(false);
            return;
        }

        var secret = _informers.Secrets.Get(ns, spec.SecretName);
        if (_written.TryGetValue((ns, spec.SecretName), out var written))
        {
            if (Version(secret) < written.Version && DateTime.UtcNow - written.At < TimeSpan.FromSeconds(30)) return;
            _written.Remove((ns, spec.SecretName));
        }

        var now = _time.GetUtcNow();
        var trigger = Trigger(secret, spec, now);
        if (trigger is null)
        {
            using var issued = LoadCertificate(secret!)!;
            await SetConditionsAsync(Kind.Certificate, certificate, [Condition(certificate, "Ready", true, "Ready", "Certificate is up to date and has not expired")], Times(issued, spec, null), stop).ConfigureAwait(false);
            return;
        }

        var (reason, message) = trigger.Value;
        var issuerKind = spec.IssuerKind == "ClusterIssuer" ? Kind.ClusterIssuer : Kind.Issuer;
        var issuerObject = issuerKind == Kind.ClusterIssuer ? _informers.ClusterIssuers.Get("", spec.IssuerName) : _informers.Issuers.Get(ns, spec.IssuerName);
        var issuer = issuerObject is null ? null : Evaluate(issuerObject, issuerKind);
        if (issuer is not { Ready: true })
        {
            // The CertificateRequest would wait for its issuer; the Certificate says why it is being issued meanwhile.
            await SetConditionsAsync(Kind.Certificate, certificate,
                [Condition(certificate, "Ready", false, reason, message), Condition(certificate, "Issuing", true, reason, message)], null, stop).ConfigureAwait(false);
            return;
        }

        using var key = CertificateSigner.NewKey(spec);
        using var signed = CertificateSigner.Sign(spec, key, issuer.SelfSigned ? null : issuer.CaCertificate, issuer.SelfSigned ? key : issuer.CaKey!, now);
        var pem = signed.ExportCertificatePem() + "\n";
        string caPem;
        if (issuer.SelfSigned)
        {
            caPem = pem;
        }
        else
        {
            // tls.crt: the leaf and the CA's chain without a self-signed root; ca.crt: the root of that chain
            // (cert-manager pkg/util/pki ParseSingleCertificateChain).
            pem += string.Concat(issuer.CaChain.Where(c => !c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData)).Select(c => c.ExportCertificatePem() + "\n"));
            caPem = issuer.CaChain[^1].ExportCertificatePem() + "\n";
        }

        var stored = await WriteSecretAsync(ns, name, spec, secret, pem, CertificateSigner.KeyPem(key, spec.KeyEncoding) + "\n", caPem, stop).ConfigureAwait(false);
        _written[(ns, spec.SecretName)] = (Version(stored), DateTime.UtcNow);
        try
        {
            await SetIssuedAsync(certificate, signed, spec, stop).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.Code == 409)
        {
            // The cached Certificate was behind (a status written by the previous pass): count on from the stored one.
            if (await _api.GetAsync(Kind.Certificate.Item(ns, name), stop).ConfigureAwait(false) is { } fresh) await SetIssuedAsync(fresh, signed, spec, stop).ConfigureAwait(false);
        }

        _log.Write($"cert-manager: certificate {ns}/{name} issued into secret {spec.SecretName} ({reason}), valid until {signed.NotAfter.ToUniversalTime():yyyy-MM-dd'T'HH:mm:ss'Z'}");
    }

    private Task SetIssuedAsync(JsonObject certificate, X509Certificate2 signed, CertificateSpec spec, CancellationToken stop) =>
        SetConditionsAsync(Kind.Certificate, certificate, [Condition(certificate, "Ready", true, "Ready", "Certificate is up to date and has not expired")],
            Times(signed, spec, J.Int(certificate["status"]?["revision"], 0) + 1), stop);

    /// <summary>Why the certificate must be issued now (reason, message), or null when its secret is up to date.</summary>
    private (string Reason, string Message)? Trigger(JsonObject? secret, CertificateSpec spec, DateTimeOffset now)
    {
        if (secret is null) return ("DoesNotExist", "Issuing certificate as Secret does not exist");
        var data = secret["data"] as JsonObject ?? [];
        if (J.Text(data["tls.crt"]).Length == 0) return ("MissingData", "Issuing certificate as Secret does not contain a certificate");
        if (J.Text(data["tls.key"]).Length == 0) return ("MissingData", "Issuing certificate as Secret does not contain a private key");
        using var certificate = LoadCertificate(secret);
        using var key = CertificateSigner.ReadKey(Decode(data["tls.key"]));
        if (certificate is null || key is null || !CertificateSigner.Matches(certificate, key))
        {
            return ("InvalidKeyPair", "Issuing certificate as Secret contains a private key that does not match the certificate");
        }

        var annotations = J.Map(secret["metadata"]?["annotations"]);
        if (annotations.GetValueOrDefault(Annotation + "issuer-name") != spec.IssuerName || annotations.GetValueOrDefault(Annotation + "issuer-kind") != spec.IssuerKind)
        {
            return ("IncorrectIssuer", $"Issuing certificate as Secret was previously issued by \"{annotations.GetValueOrDefault(Annotation + "issuer-kind")}.cert-manager.io/{annotations.GetValueOrDefault(Annotation + "issuer-name")}\"");
        }

        var changed = ChangedFields(certificate, key, spec);
        if (changed.Count > 0) return ("RequestChanged", $"Fields on existing CertificateRequest resource not up to date: [{string.Join(' ', changed)}]");
        var renewal = RenewalTime(certificate, spec);
        if (now >= renewal) return ("Renewing", $"Renewing certificate as renewal was scheduled at {renewal.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss +0000 UTC", CultureInfo.InvariantCulture)}");
        return null;
    }

    private static List<string> ChangedFields(X509Certificate2 certificate, AsymmetricAlgorithm key, CertificateSpec spec)
    {
        List<string> changed = [];
        var commonName = certificate.SubjectName.EnumerateRelativeDistinguishedNames()
            .FirstOrDefault(n => n.GetSingleElementType().Value == "2.5.4.3")?.GetSingleElementValue() ?? "";
        if (commonName != spec.CommonName) changed.Add("spec.commonName");
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (!(names?.EnumerateDnsNames() ?? []).Order(StringComparer.Ordinal).SequenceEqual(spec.DnsNames.Order(StringComparer.Ordinal))) changed.Add("spec.dnsNames");
        if (!(names?.EnumerateIPAddresses().Select(a => a.ToString()) ?? []).Order(StringComparer.Ordinal).SequenceEqual(spec.IpAddresses.Order(StringComparer.Ordinal))) changed.Add("spec.ipAddresses");
        if ((certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault()?.CertificateAuthority ?? false) != spec.IsCA) changed.Add("spec.isCA");
        var algorithm = key is ECDsa ? "ECDSA" : "RSA";
        if (algorithm != spec.KeyAlgorithm) changed.Add("spec.privateKey.algorithm");
        else if (key.KeySize != spec.KeySize) changed.Add("spec.privateKey.size");
        return changed;
    }

    /// <summary>When cert-manager renews: renewBefore ahead of notAfter (a third of the lifetime by default).</summary>
    private static DateTimeOffset RenewalTime(X509Certificate2 certificate, CertificateSpec spec)
    {
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        var lifetime = notAfter - new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        return notAfter - (spec.RenewBefore < lifetime ? spec.RenewBefore : lifetime / 3);
    }

    private static JsonObject Times(X509Certificate2 certificate, CertificateSpec spec, int? revision)
    {
        static string Text(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var times = new JsonObject
        {
            ["notBefore"] = Text(new DateTimeOffset(certificate.NotBefore.ToUniversalTime())),
            ["notAfter"] = Text(new DateTimeOffset(certificate.NotAfter.ToUniversalTime())),
            ["renewalTime"] = Text(RenewalTime(certificate, spec)),
        };
        if (revision is { } r) times["revision"] = r;
        return times;
    }

    private async Task<JsonObject> WriteSecretAsync(string ns, string certificateName, CertificateSpec spec, JsonObject? existing, string certificatePem, string keyPem, string caPem, CancellationToken stop)
    {
        // What cert-manager writes on an issued secret (pkg/controller/certificates/issuing/internal/secret.go).
        var annotations = new JsonObject
        {
            [Annotation + "certificate-name"] = certificateName,
            [Annotation + "issuer-name"] = spec.IssuerName,
            [Annotation + "issuer-kind"] = spec.IssuerKind,
            [Annotation + "issuer-group"] = "cert-manager.io",
            [Annotation + "common-name"] = spec.CommonName,
            [Annotation + "alt-names"] = string.Join(',', spec.DnsNames),
            [Annotation + "ip-sans"] = string.Join(',', spec.IpAddresses),
            [Annotation + "uri-sans"] = string.Join(',', spec.Uris),
        };
        var data = new JsonObject
        {
            ["tls.crt"] = Encode(certificatePem),
            ["tls.key"] = Encode(keyPem),
            ["ca.crt"] = Encode(caPem),
        };
        var labels = new JsonObject { ["controller.cert-manager.io/fao"] = "true" };
        if (existing is null)
        {
            return await _api.CreateAsync(Kind.Secret.Collection(ns), new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Secret",
                ["metadata"] = new JsonObject { ["name"] = spec.SecretName, ["namespace"] = ns, ["annotations"] = annotations, ["labels"] = labels },
                ["type"] = "kubernetes.io/tls",
                ["data"] = data,
            }, stop).ConfigureAwait(false);
        }

        return await _api.MergePatchAsync(Kind.Secret.Item(ns, spec.SecretName), new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = annotations, ["labels"] = labels, ["resourceVersion"] = J.Text(existing["metadata"]?["resourceVersion"]) },
            ["data"] = data,
        }, stop).ConfigureAwait(false);
    }

    private IssuerState Evaluate(JsonObject issuer, Kind kind)
    {
        var spec = issuer["spec"] as JsonObject ?? [];
        if (spec["selfSigned"] is JsonObject) return new IssuerState(true, "IsReady", "", true, null, null, []);
        if (spec["ca"] is not JsonObject ca)
        {
            return new IssuerState(false, "ErrInitIssuer", "the cert-manager stand-in issues with selfSigned and ca issuers only", false, null, null, []);
        }

        static IssuerState NotReady(string reason, string message) => new(false, reason, message, false, null, null, []);
        var secretName = J.Text(ca["secretName"]);
        var ns = kind == Kind.ClusterIssuer ? ClusterResourceNamespace : J.Namespace(issuer);
        var secret = _informers.Secrets.Get(ns, secretName);
        if (secret is null) return NotReady("ErrGetKeyPair", $"Error getting keypair for CA issuer: secret \"{secretName}\" not found");
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(Decode(secret["data"]?["tls.crt"]));
        }
        catch (CryptographicException e)
        {
            return NotReady("ErrGetKeyPair", $"Error getting keypair for CA issuer: {e.Message}");
        }

        var key = CertificateSigner.ReadKey(Decode(secret["data"]?["tls.key"]));
        if (chain.Count == 0 || key is null) return NotReady("ErrGetKeyPair", "Error getting keypair for CA issuer: error decoding certificate or private key PEM block");
        if (!CertificateSigner.Matches(chain[0], key)) return NotReady("ErrInvalidKeyPair", "Invalid signing key pair: private key does not match certificate");
        if (chain[0].Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault()?.CertificateAuthority != true)
        {
            return NotReady("ErrInvalidKeyPair", "Invalid signing key pair: certificate is not a CA");
        }

        return new IssuerState(true, "KeyPairVerified", "Signing CA verified", false, chain[0], key, [.. chain]);
    }

    /// <summary>
    /// Writes the conditions (and other status fields) when they differ from what the object says, on the condition that
    /// the object is still the version read (409 otherwise): a pass reading a cache that is behind must not write an
    /// older status over a newer one.
    /// </summary>
    private async Task SetConditionsAsync(Kind kind, JsonObject item, JsonObject[] conditions, JsonObject? fields, CancellationToken stop)
    {
        var status = (item["status"] as JsonObject)?.DeepClone() as JsonObject ?? [];
        var wanted = (JsonObject)status.DeepClone();
        wanted["conditions"] = new JsonArray([.. conditions]);
        foreach (var (key, value) in fields ?? []) wanted[key] = value?.DeepClone();
        if (JsonNode.DeepEquals(status, wanted)) return;
        await _api.MergePatchAsync(kind.Status(J.Namespace(item), J.Name(item)), new JsonObject
        {
            ["metadata"] = new JsonObject { ["resourceVersion"] = J.Text(item["metadata"]?["resourceVersion"]) },
            ["status"] = wanted,
        }, stop).ConfigureAwait(false);
    }

    /// <summary>A condition as cert-manager sets one: the transition time kept while the status stays the same.</summary>
    private JsonObject Condition(JsonObject item, string type, bool status, string reason, string message)
    {
        var text = status ? "True" : "False";
        var previous = J.Objects(item["status"]?["conditions"]).FirstOrDefault(c => J.Text(c["type"]) == type);
        var since = previous is not null && J.Text(previous["status"]) == text ? J.Text(previous["lastTransitionTime"]) : J.Now(_time);
        return new JsonObject
        {
            ["type"] = type,
            ["status"] = text,
            ["reason"] = reason,
            ["message"] = message,
            ["lastTransitionTime"] = since,
            ["observedGeneration"] = J.Int(item["metadata"]?["generation"], 1),
        };
    }

    /// <summary>The object's resourceVersion as a number (the API server stand-in's are ordered); 0 when absent.</summary>
    private static long Version(JsonObject? item) =>
        long.TryParse(J.Text(item?["metadata"]?["resourceVersion"]), NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : 0;

    private static X509Certificate2? LoadCertificate(JsonObject secret)
    {
        try
        {
            return X509Certificate2.CreateFromPem(Decode(secret["data"]?["tls.crt"]));
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static string Decode(JsonNode? value)
    {
        try
        {
            return Encoding.ASCII.GetString(Convert.FromBase64String(J.Text(value)));
        }
        catch (FormatException)
        {
            return "";
        }
    }

    private static string Encode(string text) => Convert.ToBase64String(Encoding.ASCII.GetBytes(text));
}
