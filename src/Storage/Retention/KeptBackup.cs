using Archiver.Storage.FullBackups;

namespace Archiver.Storage.Retention;

/// <summary>A backup retention keeps, with every reason it is kept.</summary>
public sealed record KeptBackup(BackupManifest Backup, IReadOnlyList<RetentionReason> Reasons);
