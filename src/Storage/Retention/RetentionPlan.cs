using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;

namespace Archiver.Storage.Retention;

/// <summary>What retention would keep and delete. Computing it touches nothing: it is the dry run.</summary>
public sealed record RetentionPlan(
    RepositoryLayout Layout,
    IReadOnlyList<KeptBackup> KeptBackups,
    IReadOnlyList<BackupManifest> BackupsToDelete,
    IReadOnlyList<ChunkDescriptor> ChunksToDelete,
    IReadOnlyList<Catalog.IncompleteBackup> IncompleteBackupsToDelete)
{
    /// <summary>The keys of everything that would go; manifests first, so a half-applied plan hides backups before removing their files.</summary>
    public IEnumerable<string> KeysToDelete()
    {
        foreach (var backup in BackupsToDelete)
        {
            yield return Layout.BackupManifestKey(backup.Id);
        }

        foreach (var backup in BackupsToDelete)
        {
            foreach (var file in backup.Files)
            {
                yield return Layout.BackupFileKey(backup.Id, file.Name);
            }
        }

        foreach (var chunk in ChunksToDelete)
        {
            yield return chunk.Key;
        }

        foreach (var key in IncompleteBackupsToDelete.SelectMany(b => b.Keys))
        {
            yield return key;
        }
    }
}
