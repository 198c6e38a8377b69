namespace Archiver.Storage.Verification;

/// <summary>What is wrong with an object a scrub or a restore's check read.</summary>
public enum ScrubProblemKind
{
    /// <summary>Its checksum, header, compression or content does not verify (a chunk's CRC-32C, a file's SHA-256).</summary>
    Corrupt,

    /// <summary>A chunk that decodes but does not continue the chain chunk before it: the two disagree about the oplog.</summary>
    BrokenLink,

    /// <summary>An object a plan or a manifest names is not in the storage (or, for a volume-snapshot backup, not in the cluster).</summary>
    Missing,

    /// <summary>A backup's VolumeSnapshot is there but cannot be restored from: it reports an error or is not ready to use.</summary>
    Unusable,
}
