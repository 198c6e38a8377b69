using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;

namespace Archiver.Actors.Embedded;

/// <summary>
/// Where <see cref="InMemoryResourceStore"/> writes each change before anyone can see it (a write-ahead log), so a
/// change the store acknowledged outlives the process, as an API server's writes outlive it in etcd. The embedded
/// node's is <c>src/Host/Node/ResourceChangeLog.cs</c>. The store calls it under the changed kind's lock, so each
/// kind's changes arrive in resourceVersion order; a call returns once the change is kept, and one that throws
/// fails the write, which then neither is stored nor reaches a watcher.
/// </summary>
public interface IResourceJournal
{
    /// <summary>The object as stored (created, replaced, its status written, or marked for deletion).</summary>
    void Put(string kind, ResourceId id, string json, long resourceVersion);

    /// <summary>The object is gone (deleted, or its last finalizer removed); <paramref name="resourceVersion"/> was its last.</summary>
    void Delete(string kind, ResourceId id, string? resourceVersion);

    /// <summary>A namespace set with its labels (<see cref="InMemoryResourceStore.SetNamespace"/>).</summary>
    void PutNamespace(NamespaceInfo ns);
}
