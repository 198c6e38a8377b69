using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Json;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Archivers;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Protocol.StorageIndexes;

namespace Archiver.Actors.Serialization;

/// <summary>
/// The wire and journal names of everything the actors persist or send between nodes. A name is a contract:
/// it never changes and never moves to another shape. To change a shape, register the new shape under a new
/// version (<c>.v2</c>) and keep the old name readable with a migration in <see cref="Migrations"/>; the CLR
/// type may be renamed or moved freely, since journals store these names, not type names.
/// </summary>
public static class ProtocolContracts
{
    private static readonly (string Manifest, Type Type)[] Contracts =
    [
        // Ops requests
        ("ops-request.start.v1", typeof(StartOpsRequest)),
        ("ops-request.get-state.v1", typeof(GetOpsRequestState)),
        ("ops-request.accepted.v1", typeof(OpsRequestAccepted)),
        ("ops-request.step-started.v1", typeof(OpsRequestStepStarted)),
        ("ops-request.step-succeeded.v1", typeof(OpsRequestStepSucceeded)),
        ("ops-request.step-failed.v1", typeof(OpsRequestStepFailed)),
        ("ops-request.skipped.v1", typeof(OpsRequestSkipped)),
        ("ops-request.step-waiting.v1", typeof(OpsRequestStepWaiting)),
        ("ops-request.state.v1", typeof(OpsRequestState)),

        // Archivers
        ("archiver.reconcile.v2", typeof(ReconcileArchiver)),
        ("archiver.get-state.v1", typeof(GetArchiverState)),
        ("archiver.spec-observed.v1", typeof(ArchiverSpecObserved)),
        ("archiver.ops-request-issued.v1", typeof(OpsRequestIssued)),
        ("archiver.ops-request-phase-observed.v1", typeof(OpsRequestPhaseObserved)),
        ("archiver.database-released.v1", typeof(DatabaseReleased)),
        ("archiver.deletion-started.v1", typeof(ArchiverDeletionStarted)),
        ("archiver.deletion-finished.v1", typeof(ArchiverDeletionFinished)),
        ("archiver.state.v1", typeof(ArchiverState)),

        // Databases
        ("database.reconcile.v1", typeof(ReconcileDatabase)),
        ("database.run-scheduled-backup.v1", typeof(RunScheduledBackup)),
        ("database.trigger-backup.v1", typeof(TriggerBackup)),
        ("database.get-state.v1", typeof(GetDatabaseState)),
        ("database.backup-schedule-set.v1", typeof(BackupScheduleSet)),
        ("database.backup-schedule-cleared.v1", typeof(BackupScheduleCleared)),
        ("database.backup-started.v1", typeof(BackupStarted)),
        ("database.backup-succeeded.v1", typeof(BackupSucceeded)),
        ("database.backup-failed.v1", typeof(BackupFailed)),
        ("database.backup-skipped.v1", typeof(BackupSkipped)),
        ("database.backup-snapshot-recorded.v1", typeof(BackupSnapshotRecorded)),
        ("database.retention-applied.v1", typeof(RetentionApplied)),
        ("database.creation-configuration-requested.v1", typeof(CreationConfigurationRequested)),
        ("database.configured-at-creation.v1", typeof(ConfiguredAtCreation)),
        ("database.restore-requested.v2", typeof(RestoreRequested)),
        ("database.restore-planned.v2", typeof(RestorePlanned)),
        ("database.restore-succeeded.v1", typeof(RestoreSucceeded)),
        ("database.restore-failed.v1", typeof(RestoreFailed)),
        ("database.identified.v1", typeof(DatabaseIdentified)),
        ("database.gone.v1", typeof(DatabaseGone)),
        ("database.state.v1", typeof(DatabaseState)),

        // Storage indexes
        ("storage-index.get-windows.v1", typeof(GetRecoverableWindows)),
        ("storage-index.windows.v1", typeof(RecoverableWindowsReply)),
        ("storage-index.plan.v2", typeof(PlanRecovery)),
        ("storage-index.plan-reply.v2", typeof(RecoveryPlanReply)),
        ("storage-index.refresh.v1", typeof(RefreshCatalog)),
        ("storage-index.apply-retention.v1", typeof(ApplyRetention)),
        ("storage-index.retention-reply.v1", typeof(RetentionReply)),
        ("storage-index.verify.v1", typeof(VerifyRepository)),
        ("storage-index.verification-reply.v1", typeof(VerificationReply)),
        ("storage-index.compact.v1", typeof(CompactOplog)),
        ("storage-index.compaction-reply.v1", typeof(CompactionReply)),
    ];

    public static readonly FrozenDictionary<Type, string> ManifestOf = Contracts.ToFrozenDictionary(c => c.Type, c => c.Manifest);

    public static readonly FrozenDictionary<string, Type> TypeOf = Contracts.ToFrozenDictionary(c => c.Manifest, c => c.Type, StringComparer.Ordinal);

    /// <summary>Old manifests still found in journals, each with the function that reads it as a current type.</summary>
    public static readonly FrozenDictionary<string, Func<ReadOnlyMemory<byte>, IArchiverProtocolMember>> Migrations =
        new Dictionary<string, Func<ReadOnlyMemory<byte>, IArchiverProtocolMember>>(StringComparer.Ordinal)
        {
            // v1 (from nodes of the previous version during a rolling upgrade) names no change to wait for: look at once.
            ["archiver.reconcile.v1"] = bytes =>
            {
                var v1 = Read<ReconcileV1>(bytes);
                return new ReconcileArchiver(v1.ArchiverId, v1.Reason);
            },
            // v1 recorded no settings: the restore reads them from the database's annotations, as it did then.
            ["database.restore-requested.v1"] = bytes => Read<RestoreRequested>(bytes) with { Settings = null },
            // v1 recorded a summary, not the plan: a restore taken up from it is planned again, as it was then.
            ["database.restore-planned.v1"] = bytes =>
            {
                var v1 = Read<RestorePlannedV1>(bytes);
                return new RestorePlanned(v1.DatabaseId, new PlanInfo(0, v1.BaseBackupId, "", [], v1.Chunks, v1.BytesToRead), v1.At);
            },
            // From nodes of the previous version during a rolling upgrade: the target as the one parser writes it.
            ["storage-index.plan.v1"] = bytes =>
            {
                var v1 = Read<PlanRecoveryV1>(bytes);
                var target = v1.Ts ?? (v1.Time is { } time ? Storage.Catalog.RecoveryTarget.AtTime(time).Format() : "latest");
                return new PlanRecovery(v1.StorageId, v1.Prefix, target);
            },
            // v1's plan has no document (the fields added since are optional): a restore given one plans again.
            ["storage-index.plan-reply.v1"] = bytes => Read<RecoveryPlanReply>(bytes),
        }.ToFrozenDictionary(StringComparer.Ordinal);

    public static IEnumerable<(string Manifest, Type Type)> All => Contracts;

    private static T Read<T>(ReadOnlyMemory<byte> bytes) =>
        JsonSerializer.Deserialize<T>(bytes.Span, ArchiverSerializer.Options) ?? throw new SerializationException($"{typeof(T).Name}: the payload is null");

    /// <summary>The shape <c>archiver.reconcile.v1</c> was written in.</summary>
    private sealed record ReconcileV1(ResourceId ArchiverId, string Reason);

    /// <summary>The shape <c>database.restore-planned.v1</c> was written in.</summary>
    private sealed record RestorePlannedV1(ResourceId DatabaseId, string BaseBackupId, int Chunks, long BytesToRead, DateTimeOffset At);

    /// <summary>The shape <c>storage-index.plan.v1</c> was written in.</summary>
    private sealed record PlanRecoveryV1(ResourceId StorageId, string Prefix, DateTimeOffset? Time, string? Ts);
}
