using System.Net;
using System.Text.Json;
using Archiver.Actors.Ports;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Archiver.Kubernetes;

/// <summary>
/// The resource store of a node in a cluster: our custom resources through the API server's custom-objects API,
/// namespaces through the core API. The API server enforces the store's rules itself (409 on an existing name, a
/// stale resourceVersion or another uid, 422 on an update without a resourceVersion, generation on spec changes,
/// the status subresource); this class only maps its answers to the port's exceptions. Objects travel as JSON and are typed per kind (<see cref="ResourceKinds"/>).
/// </summary>
public sealed partial class KubernetesResourceStore(IKubernetes client, KubernetesStoreOptions options, ILogger<KubernetesResourceStore>? logger = null) : IResourceStore
{
    private readonly ILogger _log = logger ?? NullLogger<KubernetesResourceStore>.Instance;

    public KubernetesResourceStore(IKubernetes client)
        : this(client, new KubernetesStoreOptions())
    {
    }

    public async Task<T?> GetAsync<T>(ResourceId id, CancellationToken cancellation = default)
        where T : Resource
    {
        var kind = KindOf<T>();
        try
        {
            var item = await client.CustomObjects.GetNamespacedCustomObjectAsync(kind.Group, kind.Version, id.Namespace, kind.Plural, id.Name, cancellation);
            return Read<T>(kind, item);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<T>> ListAsync<T>(string? @namespace = null, CancellationToken cancellation = default)
        where T : Resource
    {
        var kind = KindOf<T>();
        var (items, _) = await ListKindAsync(kind, @namespace, labelSelector: null, cancellation);
        return [.. items.Cast<T>().OrderBy(ResourceId.Of)];
    }

    public async Task<IReadOnlyList<T>> ListAsync<T>(string? @namespace, V1LabelSelector labelSelector, CancellationToken cancellation = default)
        where T : Resource
    {
        var (items, _) = await ListKindAsync(KindOf<T>(), @namespace, SelectorText(labelSelector), cancellation);
        return [.. items.Cast<T>().OrderBy(ResourceId.Of)];
    }

    /// <summary>A selector in the query syntax the API server takes (<c>a=b,c in (x,y),!d</c>).</summary>
    internal static string SelectorText(V1LabelSelector selector)
    {
        var terms = (selector.MatchLabels ?? new Dictionary<string, string>()).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}").ToList();
        foreach (var e in selector.MatchExpressions ?? [])
        {
            var values = string.Join(",", e.Values ?? []);
            terms.Add(e.OperatorProperty switch
            {
                "In" => $"{e.Key} in ({values})",
                "NotIn" => $"{e.Key} notin ({values})",
                "Exists" => e.Key,
                "DoesNotExist" => $"!{e.Key}",
                var other => throw new ArgumentException($"label selector operator '{other}' is not one of In, NotIn, Exists, DoesNotExist"),
            });
        }

        return string.Join(",", terms);
    }

    public Task<T> CreateAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource => WriteAsync(resource, (kind, id, body) =>
            client.CustomObjects.CreateNamespacedCustomObjectAsync(body, kind.Group, kind.Version, id.Namespace, kind.Plural, cancellationToken: cancellation), create: true);

    public Task<T> ReplaceAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource => WriteAsync(resource, (kind, id, body) =>
            client.CustomObjects.ReplaceNamespacedCustomObjectAsync(body, kind.Group, kind.Version, id.Namespace, kind.Plural, id.Name, cancellationToken: cancellation));

    public Task<T> ReplaceStatusAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource => WriteAsync(resource, (kind, id, body) =>
            client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(body, kind.Group, kind.Version, id.Namespace, kind.Plural, id.Name, cancellationToken: cancellation));

    public async Task<bool> DeleteAsync<T>(ResourceId id, CancellationToken cancellation = default)
        where T : Resource
    {
        var kind = KindOf<T>();
        try
        {
            await client.CustomObjects.DeleteNamespacedCustomObjectAsync(kind.Group, kind.Version, id.Namespace, kind.Plural, id.Name, cancellationToken: cancellation);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        catch (HttpOperationException e) when (ApiServerErrors.IsForbidden(e))
        {
            throw new ResourceForbiddenException(ApiServerErrors.Reason(e));
        }
    }

    public async Task<IReadOnlyList<NamespaceInfo>> ListNamespacesAsync(CancellationToken cancellation = default)
    {
        var namespaces = await client.CoreV1.ListNamespaceAsync(cancellationToken: cancellation);
        return [.. namespaces.Items.Select(n => new NamespaceInfo(n.Metadata.Name, new Dictionary<string, string>(n.Metadata.Labels ?? new Dictionary<string, string>())))
            .OrderBy(n => n.Name, StringComparer.Ordinal)];
    }

    /// <summary>One kind's objects, in one namespace or all, optionally by label selector, with the list's resourceVersion.</summary>
    internal async Task<(List<Resource> Items, string ResourceVersion)> ListKindAsync(ResourceKind kind, string? @namespace, string? labelSelector, CancellationToken cancellation)
    {
        var list = @namespace is null
            ? await client.CustomObjects.ListClusterCustomObjectAsync(kind.Group, kind.Version, kind.Plural, labelSelector: labelSelector, cancellationToken: cancellation)
            : await client.CustomObjects.ListNamespacedCustomObjectAsync(kind.Group, kind.Version, @namespace, kind.Plural, labelSelector: labelSelector, cancellationToken: cancellation);
        var json = (JsonElement)list;
        var items = json.TryGetProperty("items", out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Select(item => kind.FromJson(item.GetRawText())).ToList()
            : [];
        var version = json.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() ?? "" : "";
        return (items, version);
    }

    private async Task<T> WriteAsync<T>(T resource, Func<ResourceKind, ResourceId, object, Task<object>> write, bool create = false)
        where T : Resource
    {
        var kind = KindOf<T>();
        var id = new ResourceId(string.IsNullOrEmpty(resource.Metadata.NamespaceProperty) ? "default" : resource.Metadata.NamespaceProperty, resource.Metadata.Name ?? "");
        // The body is a copy, so the caller's object stays as it was. Callers build resources in code without the
        // type header, which the API server needs; and it refuses a create that carries a resourceVersion.
        var body = ManifestWriter.ToJsonNode(resource).AsObject();
        body["apiVersion"] = kind.ApiVersion;
        body["kind"] = kind.Kind;
        var metadata = body["metadata"]!.AsObject();
        metadata["namespace"] = id.Namespace;
        if (create) metadata.Remove("resourceVersion");
        try
        {
            return Read<T>(kind, await write(kind, id, body));
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            throw new ResourceConflictException($"{kind.Kind} {id}: {ApiServerErrors.Reason(e)}");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ResourceNotFoundException($"{kind.Kind} {id}: {ApiServerErrors.Reason(e)}");
        }
        catch (HttpOperationException e) when (ApiServerErrors.IsForbidden(e))
        {
            // RBAC refused the write: retried by the caller until someone grants it, and said where it shows.
            throw new ResourceForbiddenException(ApiServerErrors.Reason(e));
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.UnprocessableEntity)
        {
            // The API server's message says it all (`mongodbs.kubedb.com "mg-rs" is invalid: metadata.resourceVersion: ...`).
            throw new ResourceInvalidException(ApiServerErrors.Reason(e));
        }
    }

    private static T Read<T>(ResourceKind kind, object item)
        where T : Resource => (T)kind.FromJson(((JsonElement)item).GetRawText());

    private static ResourceKind KindOf<T>() => ResourceKinds.Find(typeof(T)) ?? throw new ArgumentException($"{typeof(T).Name} is not a resource kind");
}
