using Archiver.Storage.FullBackups;

namespace Archiver.Storage.Catalog;

/// <summary>How to reach a target: restore <see cref="BaseBackup"/>, then replay each component's chunks after its consistent point.</summary>
public sealed record RestorePlan(
    RecoveryTarget Target,
    uint Timeline,
    BackupManifest BaseBackup,
    IReadOnlyList<PlannedComponent> Components,
    long BytesToRead);
