using System.Globalization;
using Akka.Actor;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Actors.Reporting;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Databases;

/// <summary>
/// The scheduled scrub of an archived database's repository (soon after the entity starts, then every
/// <see cref="DatabaseSettings.VerificationInterval"/>), run by its storage's index. Its result is written where
/// KubeStash keeps it: the incremental Snapshot's <c>status.verificationStatus</c> (<c>Verified</c> or
/// <c>VerificationFailed</c>), <c>status.integrity</c>, and the <c>BackupVerified</c> condition, whose message names
/// the broken object and the window it breaks. Each FullBackup Snapshot gets the same fields for its own backup.
/// </summary>
public sealed partial class DatabaseActor
{
    private void ArmVerification()
    {
        if (_state.Schedule is null)
        {
            Timers.Cancel("verify");
            return;
        }

        if (!Timers.IsTimerActive("verify")) Timers.StartPeriodicTimer("verify", VerifyNow.Instance, _settings.FirstVerificationAfter, _settings.VerificationInterval);
    }

    private void OnVerifyNow()
    {
        if (_archiver is not { Spec: not null } archiver) return;
        _storageIndexes.Tell(new VerifyRepository(ArchiverResources.StorageId(archiver), ArchiverResources.Directory(archiver, _state.Id)), Self);
    }

    private void OnVerified(VerificationReply reply)
    {
        // Could not run (the storage unreachable): that verifies nothing and breaks nothing; the next scrub tries again.
        if (reply.Error is not null) return;
        var status = reply.Problems.Count == 0 ? VerificationStatus.Verified : VerificationStatus.VerificationFailed;
        var condition = VerificationCondition(reply);
        var store = _store;
        var snapshotId = new ResourceId(_state.Id.Namespace, ArchiverResources.SnapshotName(_state.Id));
        QueueStatusWrite("verification status", () => store.UpdateStatusAsync<Snapshot>(snapshotId, snapshot =>
        {
            var before = snapshot.Status ?? new SnapshotStatus();
            var conditions = StatusWrites.Carry(before.Conditions, DatabaseConditions.With(before.Conditions, condition));
            var next = before with { VerificationStatus = status, Integrity = status == VerificationStatus.Verified, Conditions = conditions };
            return StatusWrites.Same(before, next) ? null : snapshot with { Status = next };
        }));

        // Each FullBackup Snapshot says whether its own backup's files are whole (a broken chunk breaks windows, which the
        // incremental Snapshot's condition names, not a full backup).
        var failed = reply.Problems.Where(p => p.Backup is not null).Select(p => p.Backup!).ToHashSet(StringComparer.Ordinal);
        var database = _state.Id;
        QueueStatusWrite("full backups' verification status", async () =>
        {
            foreach (var full in await store.ListAsync<Snapshot>(database.Namespace))
            {
                if (full.Spec is not { Type: SnapshotType.FullBackup, SnapshotId: { } backup } spec || spec.AppRef?.Name != database.Name) continue;
                var verdict = failed.Contains(backup) ? VerificationStatus.VerificationFailed : VerificationStatus.Verified;
                if (full.Status?.VerificationStatus == verdict) continue;
                await store.UpdateStatusAsync<Snapshot>(ResourceId.Of(full), snapshot =>
                {
                    var before = snapshot.Status ?? new SnapshotStatus();
                    var next = before with { VerificationStatus = verdict, Integrity = verdict == VerificationStatus.Verified };
                    return StatusWrites.Same(before, next) ? null : snapshot with { Status = next };
                });
            }
        });
    }

    private Condition VerificationCondition(VerificationReply reply)
    {
        if (reply.Problems.Count == 0)
        {
            return DatabaseConditions.BackupVerified(true, string.Create(CultureInfo.InvariantCulture, $"verified {reply.ChunksChecked} oplog chunks and {reply.BackupFilesChecked} backup files ({reply.BytesChecked} bytes) at {reply.FinishedAt:O}"), Now);
        }

        var more = reply.Problems.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $" (and {reply.Problems.Count - 1} more broken objects)") : "";
        return DatabaseConditions.BackupVerified(false, $"{reply.Problems[0].Kind}: {reply.Problems[0].Message}{more}", Now);
    }

    private sealed record VerifyNow : INoSerializationVerificationNeeded
    {
        public static readonly VerifyNow Instance = new();
    }
}
