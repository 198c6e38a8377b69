using Archiver.Messages.Protocol;

namespace Archiver.Messages.Resources;

/// <summary>
/// Which BackupStorage providers Archiver can open: <c>local</c>, <c>s3</c> and <c>azure</c>. One answer for the node
/// that opens a storage (Host's <c>StorageBackends</c>) and for the archiver that would configure databases into it
/// (<c>ArchiverPlanner</c>), so a storage nothing can open blocks the archiver before any database is configured,
/// rather than failing each database at its first backup. A valid manifest all the same: KubeStash's own storages
/// use these providers, and the design's example names <c>gcs</c> (issue 19).
/// </summary>
public static class StorageSupport
{
    /// <summary>Why the storage cannot be opened by this version of Archiver; null when it can.</summary>
    public static string? Refusal(ResourceId storage, BackupStorageSpec? spec) => spec?.Storage?.Provider switch
    {
        null or StorageProvider.Local or StorageProvider.S3 or StorageProvider.Azure => null,
        StorageProvider.Gcs => $"BackupStorage {storage}: spec.storage.provider gcs is not supported yet; use s3 (GCS's S3-compatible endpoint, with HMAC keys), azure or local",
        var other => $"BackupStorage {storage}: spec.storage.provider {other} is not supported; use s3, azure or local",
    };
}
