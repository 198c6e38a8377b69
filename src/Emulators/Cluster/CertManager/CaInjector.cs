using System.Text;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.CertManager;

/// <summary>
/// cert-manager's cainjector for webhook configurations (cert-manager <c>pkg/controller/cainjector/sources.go</c>,
/// docs "CA Injector"): a MutatingWebhookConfiguration or ValidatingWebhookConfiguration annotated
/// <c>cert-manager.io/inject-ca-from: {namespace}/{certificate}</c> gets, in every webhook's
/// <c>clientConfig.caBundle</c>, the <c>ca.crt</c> of that Certificate's secret, provided the secret was issued for it
/// (its <c>cert-manager.io/certificate-name</c> annotation); <c>cert-manager.io/inject-ca-from-secret:
/// {namespace}/{secret}</c> takes a secret's <c>ca.crt</c> directly if the secret allows it
/// (<c>cert-manager.io/allow-direct-injection: "true"</c>); <c>cert-manager.io/inject-apiserver-ca: "true"</c> the
/// API server's CA. When there is nothing to inject yet the configuration is left as it is. Writes are updates
/// carrying the resourceVersion read, as the injector's are. APIServices and CRD conversion webhooks are not injected.
/// </summary>
internal sealed class CaInjector
{
    private const string FromCertificate = "cert-manager.io/inject-ca-from";
    private const string FromSecret = "cert-manager.io/inject-ca-from-secret";
    private const string ApiServerCa = "cert-manager.io/inject-apiserver-ca";
    private readonly CertManagerInformers _informers;
    private readonly ApiClient _api;
    private readonly string _apiServerCaPem;
    private readonly StandInLog _log;

    public CaInjector(CertManagerInformers informers, ApiClient api, string apiServerCaPem, StandInLog log)
    {
        _informers = informers;
        _api = api;
        _apiServerCaPem = apiServerCaPem;
        _log = log;
        Loop = new ReconcileLoop("cainjector", ReconcileAsync, TimeSpan.FromSeconds(5), log);
        foreach (var informer in new[] { informers.Certificates, informers.Secrets, informers.MutatingWebhooks, informers.ValidatingWebhooks }) informer.Changed += (_, _) => Loop.Trigger();
    }

    public ReconcileLoop Loop { get; }

    private async Task ReconcileAsync(CancellationToken stop)
    {
        foreach (var (kind, informer) in new[] { (Kind.MutatingWebhookConfiguration, _informers.MutatingWebhooks), (Kind.ValidatingWebhookConfiguration, _informers.ValidatingWebhooks) })
        {
            foreach (var configuration in informer.Items().Where(c => !J.Deleting(c)))
            {
                if (CaBundle(J.Map(configuration["metadata"]?["annotations"])) is not { Length: > 0 } bundle) continue;
                var updated = (JsonObject)configuration.DeepClone();
                var webhooks = J.Objects(updated["webhooks"]).ToList();
                if (webhooks.All(w => J.Text(w["clientConfig"]?["caBundle"]) == bundle)) continue;
                foreach (var webhook in webhooks)
                {
                    if (webhook["clientConfig"] is not JsonObject clientConfig) webhook["clientConfig"] = clientConfig = [];
                    clientConfig["caBundle"] = bundle;
                }

                await _api.ReplaceAsync(kind.Item("", J.Name(configuration)), updated, stop).ConfigureAwait(false);
                _log.Write($"cainjector: CA injected into {kind.Name} {J.Name(configuration)}");
            }
        }
    }

    /// <summary>The caBundle to inject (base64 of PEM, as the field's bytes are written in JSON), or null.</summary>
    private string? CaBundle(Dictionary<string, string> annotations)
    {
        if (annotations.TryGetValue(FromCertificate, out var certificateRef))
        {
            if (Split(certificateRef) is not { } certificateName) return null;
            var (ns, name) = certificateName;
            var certificate = _informers.Certificates.Get(ns, name);
            var secret = certificate is null ? null : _informers.Secrets.Get(ns, J.Text(certificate["spec"]?["secretName"]));
            if (secret is null || J.Map(secret["metadata"]?["annotations"]).GetValueOrDefault("cert-manager.io/certificate-name") != name) return null;
            return J.Text(secret["data"]?["ca.crt"]);
        }

        if (annotations.TryGetValue(FromSecret, out var secretRef))
        {
            if (Split(secretRef) is not { } secretName) return null;
            var (ns, name) = secretName;
            var secret = _informers.Secrets.Get(ns, name);
            if (secret is null || J.Map(secret["metadata"]?["annotations"]).GetValueOrDefault("cert-manager.io/allow-direct-injection") != "true") return null;
            return J.Text(secret["data"]?["ca.crt"]);
        }

        return annotations.GetValueOrDefault(ApiServerCa) == "true" ? Convert.ToBase64String(Encoding.ASCII.GetBytes(_apiServerCaPem)) : null;
    }

    /// <summary><c>namespace/name</c>; anything else names nothing (cainjector logs "invalid certificate name" and waits).</summary>
    private static (string Namespace, string Name)? Split(string reference)
    {
        var parts = reference.Split('/');
        return parts.Length == 2 && parts[0].Length > 0 && parts[1].Length > 0 ? (parts[0], parts[1]) : null;
    }
}
