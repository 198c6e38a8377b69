using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.Controllers;

/// <summary>
/// What kube-controller-manager puts into every namespace: the <c>default</c> ServiceAccount (serviceaccounts
/// controller) and the <c>kube-root-ca.crt</c> ConfigMap with the API server's CA (root-ca-cert-publisher), which a
/// pod's <c>kube-api-access-*</c> volume takes its <c>ca.crt</c> from.
/// </summary>
internal sealed class NamespaceDefaults
{
    private readonly Informer _namespaces;
    private readonly Informer _accounts;
    private readonly Informer _configMaps;
    private readonly ApiClient _api;
    private readonly string _caPem;

    public NamespaceDefaults(Informer namespaces, Informer accounts, Informer configMaps, ApiClient api, string caPem, StandInLog log)
    {
        _namespaces = namespaces;
        _accounts = accounts;
        _configMaps = configMaps;
        _api = api;
        _caPem = caPem;
        Loop = new ReconcileLoop("namespace defaults", ReconcileAsync, TimeSpan.FromSeconds(10), log);
        namespaces.Changed += (_, _) => Loop.Trigger();
        accounts.Changed += (_, _) => Loop.Trigger();
        configMaps.Changed += (_, _) => Loop.Trigger();
    }

    public ReconcileLoop Loop { get; }

    private async Task ReconcileAsync(CancellationToken stop)
    {
        foreach (var ns in _namespaces.Items().Where(n => !J.Deleting(n)).Select(J.Name))
        {
            if (_accounts.Get(ns, "default") is null)
            {
                await CreateAsync(Kind.ServiceAccount.Collection(ns), new JsonObject
                {
                    ["apiVersion"] = "v1", ["kind"] = "ServiceAccount", ["metadata"] = new JsonObject { ["name"] = "default" },
                }, stop).ConfigureAwait(false);
            }

            if (_configMaps.Get(ns, "kube-root-ca.crt") is null)
            {
                await CreateAsync(Kind.ConfigMap.Collection(ns), new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "ConfigMap",
                    ["metadata"] = new JsonObject { ["name"] = "kube-root-ca.crt", ["annotations"] = new JsonObject { ["kubernetes.io/description"] = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters." } },
                    ["data"] = new JsonObject { ["ca.crt"] = _caPem },
                }, stop).ConfigureAwait(false);
            }
        }
    }

    private async Task CreateAsync(string collection, JsonObject item, CancellationToken stop)
    {
        try
        {
            await _api.CreateAsync(collection, item, stop).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.Code is 409 or 403)
        {
            // Made meanwhile, or the namespace is terminating.
        }
    }
}
