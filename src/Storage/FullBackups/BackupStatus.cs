namespace Archiver.Storage.FullBackups;

/// <summary>How a full backup ended. A backup still running has no manifest at all, so it is invisible.</summary>
public enum BackupStatus
{
    /// <summary>Every file was written and verified; the backup can seed a restore.</summary>
    Succeeded,

    /// <summary>The backup stopped early; kept for diagnosis under the failed-backup retention count only.</summary>
    Failed,
}
