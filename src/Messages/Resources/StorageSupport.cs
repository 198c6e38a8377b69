using Archiver.Messages.Protocol;

namespace Archiver.Messages.Resources;

/// <summary>
/// Which BackupStorage providers Archiver can open: all four KubeStash defines, <c>local</c>, <c>s3</c>, <c>gcs</c>
/// and <c>azure</c>. One answer for the node that opens a storage (Host's <c>StorageBackends</c>) and for the archiver
/// that would configure databases into it (<c>ArchiverPlanner</c>), so a storage nothing can open blocks the archiver
/// before any database is configured, rather than failing each database at its first backup. The providers KubeStash
/// only names (swift, b2, rest) are refused by validation already, with <see cref="UnservedProvider"/>.
/// </summary>
public static class StorageSupport
{
    /// <summary>Why a manifest naming swift, b2 or rest is refused.</summary>
    public const string UnservedProvider =
        "KubeStash names this provider but defines no fields for it (storage.kubestash.com/v1alpha1), so no BackupStorage can describe one; use local, s3, gcs or azure";

    /// <summary>Why the storage cannot be opened by this version of Archiver; null when it can.</summary>
    public static string? Refusal(ResourceId storage, BackupStorageSpec? spec) => spec?.Storage?.Provider switch
    {
        null or StorageProvider.Local or StorageProvider.S3 or StorageProvider.Gcs or StorageProvider.Azure => null,
        var other => $"BackupStorage {storage}: spec.storage.provider {other} is not supported; use local, s3, gcs or azure",
    };
}
