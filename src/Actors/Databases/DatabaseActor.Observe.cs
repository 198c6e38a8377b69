using Akka.Actor;
using Akka.Event;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Databases;

/// <summary>
/// The watching side of an archived database: on a timer it reads its archiver's report and its recoverable
/// windows from the StorageIndex, and writes them to <c>status.archiver</c> (windows, lag, headroom, the
/// <c>Archiving</c> condition) and to the incremental Snapshot's <c>walSegment</c>.
/// </summary>
public sealed partial class DatabaseActor
{
    private MongoDBArchiver? _archiver;

    // The end of the newest window the storage index last answered with; a report past it means the index is behind.
    private DateTimeOffset? _knownWindowEnd;

    private void ArmObservation()
    {
        if (_state.Schedule is null)
        {
            Timers.Cancel("observe");
            return;
        }

        if (!Timers.IsTimerActive("observe")) Timers.StartPeriodicTimer("observe", Observe.Instance, _settings.ObserveInterval);
    }

    private void OnObserve()
    {
        if (_archiver is not { Spec: not null } archiver) return;
        var storage = ArchiverResources.StorageId(archiver);
        var prefix = ArchiverResources.Directory(archiver, _state.Id);
        var id = _state.Id;
        var uid = _state.DatabaseUid;
        var workloads = _workloads;
        var indexes = _storageIndexes;
        var timeout = _settings.PlanTimeout;
        var known = _knownWindowEnd;
        ObserveAsync().PipeTo(Self, success: o => o, failure: e => new Observed(null, null, e));

        async Task<Observed> ObserveAsync()
        {
            var report = await workloads.ReportAsync(id);
            // Its own lineage only: a database restored from a history sees that history up to its branch point and its
            // own timeline after it, never what the database it replaced wrote after that point.
            // A sidecar publishes where the index does not hear of it: its report saying it archived past the
            // windows known is the cue to list the storage again.
            var fresh = report?.WalEnd is { } end && (known is null || end > known);
            var windows = uid is null ? null : await indexes.Ask<RecoverableWindowsReply>(new GetRecoverableWindows(storage, prefix, uid, fresh), timeout);
            return new Observed(report, windows, null);
        }
    }

    private void OnObserved(Observed observed)
    {
        if (observed.Error is not null) _log.Warning(observed.Error, "observing {0} failed", _state.Id);
        var walConfig = _archiver?.Spec?.WalBackup?.Config;
        var now = Now;
        var component = observed.Report?.Component ?? "rs0";
        // No answer from the storage index says nothing about the windows: the last ones written stand.
        var answered = observed.Windows is { Error: null } reply ? reply : null;
        var windows = answered is null ? null : ArchivingHealth.Windows(answered, component);
        var storage = ArchivingHealth.Storage(answered);
        if (answered is not null) _knownWindowEnd = answered.Windows.Count == 0 ? null : answered.Windows.Max(w => w.To);
        var report = observed.Report;
        if (report?.WalEnd is { } archived) _lastArchived = archived;
        var lastBackup = _state.LastSucceeded?.FinishedAt;
        var store = _store;
        var cache = _cache;
        var id = _state.Id;
        // The cache's object is shared: it is decided on, never changed; the write is a copy. Until the cache has
        // listed, the store answers. An idle database's observation usually finds nothing new: no write, no watch
        // event, no read of the store either.
        var events = _events;
        var subject = Subject;
        WriteArchiverStatus("archiving status", before => ArchivingHealth.Observed(before, report, windows, walConfig, lastBackup, now, storage),
            async () => cache is { Synced.IsCompletedSuccessfully: true } ? cache.Get<MongoDB>(id) : await store.GetAsync<MongoDB>(id),
            // Told from what was written over what, not from a copy kept here: the alarm raised on another node before
            // the entity moved is not raised again.
            written: (before, next) =>
            {
                if (next.Conditions?.FirstOrDefault(c => c.Type == ArchivingHealth.ConditionType) is { } after
                    && DatabaseNarration.Archiving(before.Conditions?.FirstOrDefault(c => c.Type == ArchivingHealth.ConditionType), after, subject) is { } draft)
                {
                    events?.Record(draft);
                }
            });
        if (report is not null) QueueStatusWrite("archive info", () => UpdateSnapshotAsync(store, id, report));
    }

    /// <summary>KubeStash's ArchiveInfo: each component's archived time range (a sharded cluster's: each replica set's).</summary>
    private static async Task UpdateSnapshotAsync(IResourceStore store, ResourceId db, ArchivingReport report)
    {
        var components = (report.Parts ?? [report]).Select(part => new SnapshotComponent
        {
            Name = part.Component,
            Path = $"oplog/{part.Component}",
            Phase = part.Problem is null ? SnapshotPhase.Running : SnapshotPhase.Failed,
            Driver = ComponentDriver.WalG,
            WalSegment = new WalSegment { Start = part.WalStart, End = part.WalEnd },
            Error = part.Problem,
        }).ToList();
        var names = components.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        await store.UpdateAsync<Snapshot>(new ResourceId(db.Namespace, ArchiverResources.SnapshotName(db)), snapshot => snapshot.Spec is null ? null : snapshot with
        {
            Spec = snapshot.Spec with
            {
                Components = [.. (snapshot.Spec.Components ?? []).Where(c => !names.Contains(c.Name)), .. components],
                SnapshotTime = (snapshot.Spec.SnapshotTime ?? new SnapshotTime()) with { LastUpdated = report.ReportedAt },
            },
        });
    }

    private sealed record Observe : INoSerializationVerificationNeeded
    {
        public static readonly Observe Instance = new();
    }

    private sealed record Observed(ArchivingReport? Report, RecoverableWindowsReply? Windows, Exception? Error) : INoSerializationVerificationNeeded;
}
