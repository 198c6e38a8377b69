using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Watching;

/// <summary>
/// Where a Snapshot's data lives, written on it when Archiver creates it, and what deleting it does: with
/// <c>deletionPolicy: WipeOut</c> the data goes before the finalizer is released; with DoNotDelete it stays.
/// </summary>
public static class SnapshotData
{
    public const string Finalizer = "archiver.kubedb.com/snapshot-data";
    public const string StorageAnnotation = "archiver.kubedb.com/storage";
    public const string DataAnnotation = "archiver.kubedb.com/data";

    /// <summary>Marks a new Snapshot with its data's place and the finalizer that guards it.</summary>
    public static Snapshot Mark(Snapshot snapshot, ResourceId storage, string dataPrefix)
    {
        snapshot.Metadata.Annotations = new Dictionary<string, string>(snapshot.Metadata.Annotations ?? new Dictionary<string, string>())
        {
            [StorageAnnotation] = storage.ToString(),
            [DataAnnotation] = dataPrefix,
        };
        snapshot.Metadata.Finalizers = [.. snapshot.Metadata.Finalizers ?? [], Finalizer];
        return snapshot;
    }

    public static bool IsBeingDeleted(Snapshot snapshot) =>
        snapshot.Metadata.DeletionTimestamp is not null && snapshot.Metadata.Finalizers?.Contains(Finalizer) == true;

    /// <summary>Acts on a deleted Snapshot by its policy, then lets the deletion finish.</summary>
    public static async Task FinishDeletionAsync(Snapshot snapshot, IResourceStore store, IStorageJanitor janitor, CancellationToken cancellation)
    {
        var annotations = snapshot.Metadata.Annotations ?? new Dictionary<string, string>();
        if (snapshot.Spec?.DeletionPolicy == SnapshotDeletionPolicy.WipeOut
            && annotations.TryGetValue(StorageAnnotation, out var storage) && annotations.TryGetValue(DataAnnotation, out var data))
        {
            await janitor.WipeAsync(ResourceId.Parse(storage), data, cancellation);
        }

        // The copy given may be a cache's: it is not changed; the finalizer is released on the Snapshot as stored, and
        // only on this one (not another created under its name once it is gone).
        await store.UpdateAsync<Snapshot>(ResourceId.Of(snapshot), stored =>
        {
            if (stored.Metadata.Uid != snapshot.Metadata.Uid || stored.Metadata.Finalizers?.Contains(Finalizer) != true) return null;
            stored.Metadata.Finalizers = [.. stored.Metadata.Finalizers.Where(f => f != Finalizer)];
            return stored;
        }, cancellation);
    }
}
