using Archiver.Messages.Resources;

namespace Archiver.Messages.Validation;

/// <summary>
/// A <c>local</c> BackupStorage in a cluster: the oplog is written by the sidecars in the database's pods, which mount
/// the volume the storage names at its <c>mountPath</c>, and full backups by an Archiver node. Both halves belong in one
/// repository, so the storage must name a volume, and a node uses it only when it has that volume mounted at the same
/// path; otherwise it would write full backups to its own pod's disk, which the sidecars and restores never see. A
/// node cannot tell a mounted volume from any folder of its image, so the test is the one it can make: the folder is
/// already there (in a cluster it is never made) and it can write in it.
/// </summary>
public static class LocalStorageInCluster
{
    /// <summary>Why this process cannot write in <paramref name="path"/> as it is, or null when it can.</summary>
    public static string? FolderProblem(string path)
    {
        if (!Directory.Exists(path)) return "no such folder";
        try
        {
            // Created and deleted at once: the only sure answer to "may I write here" is to write.
            using var probe = new FileStream(Path.Combine(path, $".archiver-write-check-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"not writable: {e.Message}";
        }
    }

    /// <summary>
    /// Why this process (a node, or a sidecar) cannot use the storage's folder, or null when it has it.
    /// <paramref name="folderProblem"/> looks at the file system (<see cref="FolderProblem"/> unless a test stands in).
    /// </summary>
    public static string? Problem(LocalBackendSpec local, Func<string, string?>? folderProblem = null)
    {
        if (local.MountPath.Length == 0) return null;
        return (folderProblem ?? FolderProblem)(local.MountPath) is { } problem
            ? $"{local.MountPath} is not a folder mounted here ({problem}). In a cluster the database pods' sidecars write the oplog there " +
              $"and an Archiver node writes the full backups, so both must mount the same volume at {local.MountPath}: mount it into the " +
              "node's StatefulSet too (a ReadWriteMany claim, an nfs or a hostPath volume), or use an s3 storage"
            : null;
    }

    /// <summary>Why the database pods could not mount the storage (it names no volume), or null.</summary>
    public static string? VolumeProblem(LocalBackendSpec local) =>
        local.PersistentVolumeClaim is null && local.HostPath is null && local.Nfs is null
            ? $"names no volume (persistentVolumeClaim, hostPath or nfs) for the database pods to mount at {local.MountPath}: their sidecars would write the oplog to each pod's own disk"
            : null;
}
