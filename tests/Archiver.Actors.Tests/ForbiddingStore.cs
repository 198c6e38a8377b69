using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s.Models;

namespace Archiver.Actors.Tests;

/// <summary>
/// The store as a node whose RBAC lacks <c>create</c> on <c>mongodbopsrequests</c> sees it: such a create gets the API
/// server's 403, in its words (as the emulator's RbacAuthorizer and KubernetesResourceStore give it), until
/// <see cref="ForbidOpsRequestCreates"/> is lifted; everything else goes through.
/// </summary>
internal sealed class ForbiddingStore(IResourceStore inner) : IResourceStore
{
    public const string User = "system:serviceaccount:archiver:archiver";

    public volatile bool ForbidOpsRequestCreates;

    /// <summary>Snapshot creates refused the same way (a node whose RBAC lacks <c>create</c> on <c>snapshots</c>).</summary>
    public volatile bool ForbidSnapshotCreates;

    public static string Refusal(string @namespace) =>
        $"mongodbopsrequests.ops.kubedb.com is forbidden: User \"{User}\" cannot create resource \"mongodbopsrequests\" in API group \"ops.kubedb.com\" in the namespace \"{@namespace}\"";

    public Task<T> CreateAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource =>
        (ForbidOpsRequestCreates && resource is MongoDBOpsRequest) || (ForbidSnapshotCreates && resource is Snapshot)
            ? Task.FromException<T>(new ResourceForbiddenException(Refusal(resource.Metadata.NamespaceProperty)))
            : inner.CreateAsync(resource, cancellation);

    public Task<T?> GetAsync<T>(ResourceId id, CancellationToken cancellation = default)
        where T : Resource => inner.GetAsync<T>(id, cancellation);

    public Task<IReadOnlyList<T>> ListAsync<T>(string? @namespace = null, CancellationToken cancellation = default)
        where T : Resource => inner.ListAsync<T>(@namespace, cancellation);

    public Task<IReadOnlyList<T>> ListAsync<T>(string? @namespace, V1LabelSelector labelSelector, CancellationToken cancellation = default)
        where T : Resource => inner.ListAsync<T>(@namespace, labelSelector, cancellation);

    public Task<T> ReplaceAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource => inner.ReplaceAsync(resource, cancellation);

    public Task<T> ReplaceStatusAsync<T>(T resource, CancellationToken cancellation = default)
        where T : Resource => inner.ReplaceStatusAsync(resource, cancellation);

    public Task<bool> DeleteAsync<T>(ResourceId id, CancellationToken cancellation = default)
        where T : Resource => inner.DeleteAsync<T>(id, cancellation);

    public Task<IReadOnlyList<NamespaceInfo>> ListNamespacesAsync(CancellationToken cancellation = default) => inner.ListNamespacesAsync(cancellation);

    public IAsyncEnumerable<ResourceEvent> WatchAsync(CancellationToken cancellation) => inner.WatchAsync(cancellation);
}
