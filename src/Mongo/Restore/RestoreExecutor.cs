using System.Diagnostics;
using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using Archiver.Storage;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Restore;

/// <summary>
/// Restores a database into an empty target at a point in time: checks the target against the catalog before
/// writing anything, marks the target incomplete, loads the base backup's collections (options, documents in
/// batches, then indexes), replays the archived oplog after the backup's T0 up to the target, and removes the
/// mark only on success. Stopped part way (cancelled, or the target unreachable for a while), it leaves the mark with
/// what it finished: run again with the same <see cref="RestoreOptions.RestoreId"/>, it resumes there (collections
/// loaded whole are kept, the replay goes on from its last checkpoint) rather than starting over.
/// </summary>
public sealed partial class RestoreExecutor(IObjectStore store, RepositoryLayout layout, IMongoClient target, RestoreOptions? options = null)
{
    private readonly RestoreOptions _options = options ?? new RestoreOptions();

    /// <summary>Plans the restore to <paramref name="to"/> from the repository's catalog, then runs that plan, read back from its document.</summary>
    public async Task<RestoreReport> RunAsync(RecoveryTarget to, IProgress<RestoreProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(to);
        if (await FinishedBeforeAsync(to, cancellationToken) is { } finished)
        {
            return finished;
        }

        // Through the document, as a database's restore records it and its runner reads it back: whatever runs a restore
        // to a target (the CLI, the tests, the benchmarks) runs the very path the recorded plans take.
        var recorded = RestorePlanDocument.FromJson(RestorePlanDocument.From(await PlanAsync(to, cancellationToken)).ToJson());
        return await RunPlannedAsync(await recorded.ResolveAsync(store, cancellationToken), progress, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="plan"/> exactly: its base backup, then its chunks in order up to its target. A database's
    /// restore runs the plan it recorded (<see cref="RestorePlanDocument"/>), so a restore taken up again after a stop
    /// replays what it started with.
    /// </summary>
    public async Task<RestoreReport> RunAsync(RestorePlan plan, IProgress<RestoreProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return await FinishedBeforeAsync(plan.Target, cancellationToken) ?? await RunPlannedAsync(plan, progress, cancellationToken);
    }

    private async Task<RestoreReport> RunPlannedAsync(RestorePlan plan, IProgress<RestoreProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var to = plan.Target;
        var work = WorkOf(plan);
        var marker = await StartOrResumeAsync(work, to, cancellationToken);

        // While it runs, compaction removes no chunk of the histories it reads: the plan names them.
        await using var lease = await LeaseAsync(work, cancellationToken);

        var tracker = new ProgressTracker(progress, clock, work.EntriesTotal, work.BytesTotal);
        try
        {
            var rules = new NamespaceRules(_options.IncludeDatabase, _options.MapDatabase, _options.RestoreUsersAndRoles) { IncludeCollection = _options.IncludeCollection, ShardNames = _options.ShardNames };
            // A database restored from another one's history may start from a backup stored under that one's prefix.
            var resumeAt = marker is null ? null : RestoreCheckpoint.From(marker);
            // The chunks checked beside the load are kept on local disk for the replay, which then does not download them again.
            using var spool = new ObjectSpool(store, _options.SpoolFolder ?? Path.GetTempPath(), _options.SpoolBytes);
            var collections = await LoadCheckingChunksAsync(
                stop => _options.BaseInVolumes ? BaseInVolumesAsync(stop) : LoadCollectionsAsync(work.Backup, new RepositoryLayout(work.Plan.BasePrefix), rules, tracker, marker, stop),
                work, resumeAt, spool.Filling, cancellationToken);
            var replay = await ReplayAsync(work, spool.Draining, rules, tracker, marker is not null, resumeAt, cancellationToken);
            var lineage = Lineage(work, replay);
            if (_options.RecordLineage)
            {
                // After every write of the data, so the restored database's own archive starts after them all; before the
                // marker goes, so a stop between the two leaves a restore that resumes (and writes it again), never a
                // target with neither, which no run could tell from a target that was not empty. Nothing archives the
                // replica set while the marker is there, and replays skip the marker's database.
                await LineageRecord.WriteAsync(target, _options.RestoreId, work.Backup.Id, lineage, _options.Time.GetUtcNow(), cancellationToken);
            }

            await RestoreMarker.RemoveAsync(target, _options.RestoreId, cancellationToken);

            tracker.Report(RestorePhase.Completed);
            return new RestoreReport
            {
                BackupId = work.Backup.Id,
                Target = to.ToString(),
                Timeline = work.Plan.Timeline,
                ReachedTs = replay.Reached,
                ReachedWall = DateTimeOffset.FromUnixTimeMilliseconds(replay.ReachedWall),
                Lineage = _options.RecordLineage ? lineage : null,
                CollectionsRestored = collections,
                DocumentsLoaded = tracker.Documents,
                EntriesReplayed = replay.EntriesApplied,
                TransactionsApplied = replay.TransactionsApplied,
                TransactionsNotCommittedAtTarget = replay.OpenTransactions,
                Skipped = rules.Skipped,
                UsersRestored = rules.UsersAndRoles.Users,
                RolesRestored = rules.UsersAndRoles.Roles,
                Duration = clock.Elapsed,
                Resumed = marker is not null,
            };
        }
        catch (Exception e) when (e is OperationCanceledException || MongoTransience.IsTransient(e))
        {
            // Stopped, not failed: its node is stopping, or the target went away for a while (a failover, a restart).
            // The marker keeps what is done; the same restore run again (the same RestoreId) takes it up from there.
            tracker.Report(RestorePhase.Interrupted);
            throw;
        }
        catch (Exception e)
        {
            tracker.Report(RestorePhase.Failed);
            await RestoreMarker.FailAsync(target, _options.RestoreId, e.Message);
            throw new RestoreFailedException(
                $"Restore {_options.RestoreId} to {to} failed; the target is marked incomplete in {RestoreMarker.Database}.{RestoreMarker.Collection}. {e.Message}", e);
        }
    }

    /// <summary>
    /// A <see cref="RestoreLease"/> on every prefix the plan reads. A storage this node may not write to (a read-only
    /// credential for restores) gets none: the restore still runs, relying on compaction's wait after a merge and on
    /// plans following what compaction merged (<see cref="RestorePlanDocument"/>).
    /// </summary>
    private async Task<IAsyncDisposable> LeaseAsync(RestoreWork work, CancellationToken cancellationToken)
    {
        var holder = "restore-" + string.Concat(_options.RestoreId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
        try
        {
            return await RestoreLease.HoldAsync(store, work.Plan.Segments.Select(s => s.Prefix), holder, _options.Time, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is StorageException or IOException or UnauthorizedAccessException)
        {
            return NoLease.Instance;
        }
    }

    private sealed class NoLease : IAsyncDisposable
    {
        public static readonly NoLease Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>
    /// This restore, run before, finished on this target (whole-replica-set restores only: their lineage, written after
    /// the data and before the marker goes, names the restore that made them). Looked at before planning, so a restore
    /// finished once stays finished even if its base backup has since been removed from the storage.
    /// </summary>
    private async Task<RestoreReport?> FinishedBeforeAsync(RecoveryTarget to, CancellationToken cancellationToken)
    {
        if (!_options.RecordLineage
            || await LineageRecord.FinishedAsync(target, cancellationToken) is not { } finished || finished.RestoreId != _options.RestoreId
            || await RestoreMarker.FindAsync(target, _options.RestoreId, cancellationToken) is not null)
        {
            return null;
        }

        var lineage = finished.Lineage;
        return new RestoreReport
        {
            BackupId = finished.BackupId,
            Target = to.ToString(),
            Timeline = lineage.SourceTimeline,
            Lineage = lineage,
            ReachedTs = lineage.BranchedAfter,
            ReachedWall = DateTimeOffset.FromUnixTimeMilliseconds(lineage.BranchedAtWallUnixMs),
            AlreadyFinished = true,
        };
    }

    /// <summary>
    /// Marks an empty target before anything is written to it, or finds this restore's own marker there (it was stopped
    /// part way) and takes it up again: null for a new restore, else the marker with what is done. A marker of another
    /// restore, or of this one to another target or from another backup, refuses it.
    /// </summary>
    private async Task<BsonDocument?> StartOrResumeAsync(RestoreWork work, RecoveryTarget to, CancellationToken cancellationToken)
    {
        if (await RestoreMarker.FindAsync(target, _options.RestoreId, cancellationToken) is { } mine)
        {
            var (backupId, markedTarget) = (mine.GetValue("backupId", "").AsString, mine.GetValue("target", "").AsString);
            if (backupId != work.Backup.Id || markedTarget != to.ToString())
            {
                throw new RestoreRefusedException(
                    $"The target holds restore {_options.RestoreId} from backup {backupId} to {markedTarget}, stopped part way; this one is from backup {work.Backup.Id} to {to}: start from an empty target.");
            }

            await RestoreMarker.ResumeAsync(target, _options.RestoreId, _options.Time.GetUtcNow(), cancellationToken);
            return mine;
        }

        if (_options.BaseInVolumes)
        {
            await EnsureVolumesHoldBaseAsync(work.Backup, cancellationToken);
        }
        else
        {
            await EnsureTargetEmptyAsync(cancellationToken);
        }

        await RestoreMarker.WriteAsync(target, _options.RestoreId, work.Backup.Id, to.ToString(), _options.RecordLineage, _options.Time.GetUtcNow(), cancellationToken);
        return null;
    }

    /// <summary>
    /// Where the restored replica set's data comes from: the timeline the target fell on, and the last of its entries
    /// applied (its start when none was). A timeline without a record (written before timelines had records) has no
    /// owner to name, so no lineage can be followed from it.
    /// </summary>
    private RestoreLineage Lineage(RestoreWork work, ReplayResult replay)
    {
        var last = work.Plan.Segments[^1];
        var branchWall = _options.BranchedAtWallUnixMs ?? work.Target.LastWallUnixMs ?? replay.ReachedWall;
        return new RestoreLineage(last.Prefix, last.Timeline, work.Plan.SourceOwner ?? string.Empty, _options.BranchedAfter ?? replay.Reached, branchWall, null, work.Target.ToString());
    }

    private async Task EnsureTargetEmptyAsync(CancellationToken cancellationToken)
    {
        var names = await (await target.ListDatabaseNamesAsync(cancellationToken)).ToListAsync(cancellationToken);
        var occupied = names.Where(n => n != RestoreMarker.Database && _options.OwnsTargetDatabase(n)).ToList();
        if (occupied.Count > 0)
        {
            throw new RestoreRefusedException($"The target is not empty: it already has database(s) {string.Join(", ", occupied)}.");
        }

        if (_options.OwnsTargetDatabase(RestoreMarker.Database) && (await RestoreMarker.ListAsync(target, cancellationToken)).Count > 0)
        {
            throw new RestoreRefusedException($"The target holds an incomplete restore (see {RestoreMarker.Database}.{RestoreMarker.Collection}); start from an empty target.");
        }
    }

    private Task<BsonDocument> RunCommandAsync(string database, BsonDocument command, CancellationToken cancellationToken) =>
        target.GetDatabase(database).RunCommandAsync<BsonDocument>(command, cancellationToken: cancellationToken);

    /// <summary>One restore's inputs once planned.</summary>
    private sealed record RestoreWork(RestorePlan Plan, long EntriesTotal, long BytesTotal)
    {
        public BackupManifest Backup => Plan.BaseBackup;

        public RecoveryTarget Target => Plan.Target;
    }
}
