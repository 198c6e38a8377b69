namespace Archiver.Host.Adapters;

/// <summary>How a <c>local</c> storage's folder is found (see <see cref="StorageBackends"/>).</summary>
public enum LocalFolders
{
    /// <summary>The embedded node: the folder is on its own machine, and made if missing.</summary>
    Create,

    /// <summary>
    /// A cluster (a node, a sidecar): the folder is a volume mounted at <c>mountPath</c>, never made. A missing one is
    /// refused, since a folder made on the container's own disk would hold backups nobody else sees.
    /// </summary>
    Mounted,
}
