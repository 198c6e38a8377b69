namespace Archiver.Storage.Catalog;

/// <summary>Why no restore plan exists for a target.</summary>
public enum RefusalReason
{
    /// <summary>No successful full backup exists on the timeline.</summary>
    NoBackup,

    /// <summary>The target is earlier than the first successful backup's consistent point.</summary>
    BeforeFirstBackup,

    /// <summary>The target is later than the last archived entry (though not in the future).</summary>
    AfterLastArchivedEntry,

    /// <summary>The target falls where the oplog was not archived continuously since the last backup before it.</summary>
    InsideGap,

    /// <summary>The target is later than now.</summary>
    InFuture,
}
