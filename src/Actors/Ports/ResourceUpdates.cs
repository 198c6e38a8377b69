using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s;

namespace Archiver.Actors.Ports;

/// <summary>
/// Every update the control plane makes, as a controller makes it against the API server (client-go's
/// <c>retry.RetryOnConflict</c> around a get and an update): read the object, decide the change on what was read,
/// write it conditional on the <c>resourceVersion</c> read (and its <c>uid</c>, so another object of the name is never
/// written), and on a 409 read again and decide again. A stale copy is never written blindly: what another writer
/// changed meanwhile is in the object the change is decided on next. Custom resources refuse an update without a
/// resourceVersion (422), so there is no other way to write them.
/// </summary>
public static class ResourceUpdates
{
    /// <summary>Tries before a conflict is given up on: each is a read and a write, so a handful covers any real contention.</summary>
    public const int Attempts = 5;

    /// <summary>
    /// Updates metadata and spec: <paramref name="change"/> gets the object as stored and returns what to write, or
    /// null when there is nothing to do. Returns what was written; null when the object is gone (or goes meanwhile)
    /// or there was nothing to do. <paramref name="read"/> is a copy already at hand (a cache's, the result of an
    /// earlier write) tried first instead of a read. <paramref name="change"/> may modify a copy the store handed out,
    /// never a shared one (a cache's): build the result with <c>with</c> then.
    /// </summary>
    /// <exception cref="ResourceConflictException">Still conflicting after <see cref="Attempts"/> tries.</exception>
    public static Task<T?> UpdateAsync<T>(this IResourceStore store, ResourceId id, Func<T, T?> change, CancellationToken cancellation = default, T? read = null)
        where T : Resource =>
        WriteAsync(store, id, change, (next, token) => store.ReplaceAsync(next, token), read, cancellation);

    /// <summary>As <see cref="UpdateAsync{T}"/>, through the status subresource: only the status of what is returned is written.</summary>
    /// <exception cref="ResourceConflictException">Still conflicting after <see cref="Attempts"/> tries.</exception>
    public static Task<T?> UpdateStatusAsync<T>(this IResourceStore store, ResourceId id, Func<T, T?> change, CancellationToken cancellation = default, T? read = null)
        where T : Resource =>
        WriteAsync(store, id, change, (next, token) => store.ReplaceStatusAsync(next, token), read, cancellation);

    private static async Task<T?> WriteAsync<T>(IResourceStore store, ResourceId id, Func<T, T?> change, Func<T, CancellationToken, Task<T>> write, T? read, CancellationToken cancellation)
        where T : Resource
    {
        var current = read ?? await store.GetAsync<T>(id, cancellation);
        for (var attempt = 1; ; attempt++)
        {
            if (current is null || change(current) is not { } next) return null;
            try
            {
                return await write(Conditional(next, current), cancellation);
            }
            catch (ResourceNotFoundException)
            {
                return null;
            }
            catch (ResourceConflictException) when (attempt < Attempts)
            {
                current = await store.GetAsync<T>(id, cancellation);
            }
        }
    }

    /// <summary>
    /// A copy of what to write, conditional on the object it was decided on. A copy, because a change made with
    /// <c>with</c> shares the metadata of what it was given, which may be a cache's.
    /// </summary>
    private static T Conditional<T>(T next, T decidedOn)
        where T : Resource
    {
        var copy = KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(next));
        copy.Metadata.ResourceVersion = decidedOn.Metadata.ResourceVersion;
        copy.Metadata.Uid = decidedOn.Metadata.Uid;
        return copy;
    }
}
