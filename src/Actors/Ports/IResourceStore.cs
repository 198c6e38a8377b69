using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s.Models;

namespace Archiver.Actors.Ports;

/// <summary>
/// The resources that drive everything: the Kubernetes API server in a cluster, an in-process store on the
/// embedded node. Semantics follow the API server's for custom resources (every kind here is one): create fails on
/// an existing name; an update must carry the <c>resourceVersion</c> it read (none is invalid, a stale one
/// conflicts) and, if it names a <c>uid</c>, the stored object's; a spec change bumps <c>metadata.generation</c>,
/// a status write does not. Callers update through <see cref="ResourceUpdates"/>, which reads, decides and retries.
/// </summary>
public interface IResourceStore
{
    Task<T?> GetAsync<T>(ResourceId id, CancellationToken cancellation = default)
        where T : Resource;

    /// <summary>Every resource of the kind, in one namespace or (null) in all.</summary>
    Task<IReadOnlyList<T>> ListAsync<T>(string? @namespace = null, CancellationToken cancellation = default)
        where T : Resource;

    /// <summary>
    /// The resources of the kind whose labels match the selector (every matchLabels pair and expression), in one
    /// namespace or (null) in all, ordered by namespace/name: the API server's list with <c>labelSelector</c>, so
    /// a caller reads only what it selects (an informer scoped to its own objects, a controller's owned ones).
    /// </summary>
    Task<IReadOnlyList<T>> ListAsync<T>(string? @namespace, V1LabelSelector labelSelector, CancellationToken cancellation = default)
        where T : Resource;

    /// <exception cref="ResourceConflictException">A resource of that kind and name exists.</exception>
    Task<T> CreateAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource;

    /// <summary>Replaces metadata and spec (not status).</summary>
    /// <exception cref="ResourceNotFoundException">It does not exist.</exception>
    /// <exception cref="ResourceInvalidException">It carries no resourceVersion.</exception>
    /// <exception cref="ResourceConflictException">Its resourceVersion is stale, or its uid is another object's.</exception>
    Task<T> ReplaceAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource;

    /// <summary>Replaces the status only, as the status subresource does; the same preconditions as <see cref="ReplaceAsync{T}"/>.</summary>
    /// <exception cref="ResourceNotFoundException">It does not exist.</exception>
    /// <exception cref="ResourceInvalidException">It carries no resourceVersion.</exception>
    /// <exception cref="ResourceConflictException">Its resourceVersion is stale, or its uid is another object's.</exception>
    Task<T> ReplaceStatusAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource;

    /// <summary>Deletes it; false when it was not there.</summary>
    Task<bool> DeleteAsync<T>(ResourceId id, CancellationToken cancellation = default)
        where T : Resource;

    /// <summary>Namespaces with their labels, for <c>namespaces.from: Selector</c> and usage policies.</summary>
    Task<IReadOnlyList<NamespaceInfo>> ListNamespacesAsync(CancellationToken cancellation = default);

    /// <summary>
    /// Every change from now on, until cancelled: each kind's in order (as a Kubernetes watch of that resource type
    /// is); changes of different kinds may interleave out of resourceVersion order. The watch is open once the
    /// first MoveNextAsync has been called.
    /// </summary>
    IAsyncEnumerable<ResourceEvent> WatchAsync(CancellationToken cancellation);
}

public sealed record NamespaceInfo(string Name, IReadOnlyDictionary<string, string> Labels);

public enum ResourceEventType
{
    Added,
    Modified,
    Deleted,
}

public sealed record ResourceEvent(ResourceEventType Type, Resource Resource);

/// <summary>409: the name exists (create), or the object changed since it was read, or is another one of its name (update).</summary>
public sealed class ResourceConflictException(string message) : Exception(message);

/// <summary>
/// 422: the API server refused the object as invalid, such as an update of a custom resource without the
/// <c>resourceVersion</c> it read (custom resources allow no unconditional update). A bug in the caller, never retried.
/// </summary>
public sealed class ResourceInvalidException(string message) : Exception(message);

public sealed class ResourceNotFoundException(string message) : Exception(message);

/// <summary>
/// 403: RBAC does not let the node do this. The message is the API server's own, which names the user, verb, resource,
/// API group and namespace (<c>statefulsets.apps "mg-rs" is forbidden: User "system:serviceaccount:archiver:archiver"
/// cannot update resource "statefulsets" in API group "apps" in the namespace "demo"</c>), so whoever reads the
/// condition knows which rule to add. Granting it fixes the cause: callers retry, never give up for it.
/// </summary>
public sealed class ResourceForbiddenException(string message) : Exception(message);
