using Akka.Actor;
using Archiver.Actors.Ports;
using Archiver.Actors.StorageIndexes;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Storage;
using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using Xunit.Abstractions;

namespace Archiver.Actors.Tests;

public sealed class StorageIndexSpecs : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private const string Prefix = "db/MongoDB/demo/mg-rs";
    private static readonly ResourceId StorageId = new("stash", "local-storage");
    private readonly string _folder = Directory.CreateTempSubdirectory("archiver-index-").FullName;
    private readonly LocalFolderStore _store;
    private readonly RepositoryLayout _layout = new(Prefix);

    public StorageIndexSpecs(ITestOutputHelper output)
        : base(TestSystem.Actors, "archiver", output) => _store = new LocalFolderStore(_folder);

    [Fact]
    public async Task It_reports_the_recoverable_window_and_plans_a_target_inside_it()
    {
        var entries = SampleRepository.Entries(1_000, 300);
        await WriteChunksAsync(entries, OplogTimestamp.Zero);
        var backupId = await WriteBackupAsync(entries[20]);
        var index = Index();

        var windows = await index.Ask<RecoverableWindowsReply>(new GetRecoverableWindows(StorageId, Prefix), TimeSpan.FromSeconds(10));
        var window = Assert.Single(windows.Windows);
        Assert.Equal(backupId, window.BackupId);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(entries[^1].WallUnixMs), window.To);
        Assert.Empty(windows.Gaps);

        var plan = await index.Ask<RecoveryPlanReply>(new PlanRecovery(StorageId, Prefix, RecoveryTarget.AtTime(entries[200].Wall).Format()), TimeSpan.FromSeconds(10));
        Assert.Null(plan.Refusal);
        Assert.Equal(backupId, plan.Plan!.BaseBackupId);
        Assert.Equal(["rs0"], plan.Plan.Components);
    }

    [Fact]
    public async Task A_target_after_the_last_archived_entry_is_refused_with_the_reason_and_the_latest_point()
    {
        var entries = SampleRepository.Entries(1_000, 100);
        await WriteChunksAsync(entries, OplogTimestamp.Zero);
        await WriteBackupAsync(entries[10]);
        var reply = await Index().Ask<RecoveryPlanReply>(new PlanRecovery(StorageId, Prefix, RecoveryTarget.AtTime(entries[^1].Wall.AddMinutes(5)).Format()), TimeSpan.FromSeconds(10));
        Assert.Null(reply.Plan);
        Assert.Equal("AfterLastArchivedEntry", reply.Refusal!.Reason);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(entries[^1].WallUnixMs), reply.Refusal.LatestRecoverable);
    }

    [Fact]
    public async Task A_gap_in_the_oplog_is_reported_and_a_target_inside_it_refused()
    {
        var entries = SampleRepository.Entries(1_000, 200);
        await WriteChunksAsync(entries[..80], OplogTimestamp.Zero);
        await WriteChunksAsync(entries[120..], entries[110].Ts);
        await WriteBackupAsync(entries[5]);
        var index = Index();

        var windows = await index.Ask<RecoverableWindowsReply>(new GetRecoverableWindows(StorageId, Prefix), TimeSpan.FromSeconds(10));
        Assert.Single(windows.Gaps);
        var reply = await index.Ask<RecoveryPlanReply>(new PlanRecovery(StorageId, Prefix, RecoveryTarget.AtTime(entries[100].Wall).Format()), TimeSpan.FromSeconds(10));
        Assert.Equal("InsideGap", reply.Refusal!.Reason);
    }

    [Fact]
    public async Task A_restore_is_planned_on_a_listing_made_after_it_asked_not_on_the_cached_one()
    {
        var entries = SampleRepository.Entries(1_000, 200);
        await WriteChunksAsync(entries[..100], OplogTimestamp.Zero);
        await WriteBackupAsync(entries[5]);
        var index = Index();
        var before = await index.Ask<RecoverableWindowsReply>(new GetRecoverableWindows(StorageId, Prefix), TimeSpan.FromSeconds(10));

        // A sidecar publishes more, and nobody tells the index.
        await WriteChunksAsync(entries[100..], entries[99].Ts);
        var plan = await index.Ask<RecoveryPlanReply>(new PlanRecovery(StorageId, Prefix, RecoveryTarget.AtTime(entries[150].Wall).Format()), TimeSpan.FromSeconds(10));

        Assert.True(Assert.Single(before.Windows).To < entries[150].Wall);
        Assert.Null(plan.Refusal);
        Assert.NotNull(plan.Plan);
    }

    [Fact]
    public async Task A_published_chunk_is_seen_after_a_refresh()
    {
        var entries = SampleRepository.Entries(1_000, 200);
        await WriteChunksAsync(entries[..100], OplogTimestamp.Zero);
        await WriteBackupAsync(entries[5]);
        var index = Index();
        var before = await index.Ask<RecoverableWindowsReply>(new GetRecoverableWindows(StorageId, Prefix), TimeSpan.FromSeconds(10));

        await WriteChunksAsync(entries[100..], entries[99].Ts);
        index.Tell(new RefreshCatalog(StorageId, Prefix));
        await AwaitAssertAsync(async () =>
        {
            var after = await index.Ask<RecoverableWindowsReply>(new GetRecoverableWindows(StorageId, Prefix), TimeSpan.FromSeconds(10));
            Assert.True(Assert.Single(after.Windows).To > Assert.Single(before.Windows).To);
        });
    }

    [Fact]
    public async Task Retention_dry_run_lists_what_would_go_and_deletes_nothing()
    {
        var entries = SampleRepository.Entries(1_000, 300);
        await WriteChunksAsync(entries, OplogTimestamp.Zero);
        await WriteBackupAsync(entries[10]);
        await WriteBackupAsync(entries[150]);
        var filesBefore = Directory.GetFiles(_folder, "*", SearchOption.AllDirectories).Length;

        var reply = await Index().Ask<RetentionReply>(new ApplyRetention(StorageId, Prefix, KeepLastSucceeded: 1, KeepLastFailed: 0, null, DryRun: true), TimeSpan.FromSeconds(10));
        Assert.Null(reply.Error);
        Assert.NotEmpty(reply.Deletes);
        Assert.Equal(0, reply.Deleted);
        Assert.Equal(filesBefore, Directory.GetFiles(_folder, "*", SearchOption.AllDirectories).Length);
    }

    [Fact]
    public async Task Retention_names_the_volume_snapshots_of_the_backups_it_removes_and_only_those()
    {
        var entries = SampleRepository.Entries(1_000, 300);
        await WriteChunksAsync(entries, OplogTimestamp.Zero);
        await WriteSnapshotBackupAsync(entries[10], "mg-rs-full-1-1");
        await WriteSnapshotBackupAsync(entries[150], "mg-rs-full-2-1");

        var dry = await Index().Ask<RetentionReply>(new ApplyRetention(StorageId, Prefix, KeepLastSucceeded: 1, KeepLastFailed: 0, null, DryRun: true), TimeSpan.FromSeconds(10));
        var run = await Index().Ask<RetentionReply>(new ApplyRetention(StorageId, Prefix, KeepLastSucceeded: 1, KeepLastFailed: 0, null, DryRun: false), TimeSpan.FromSeconds(10));

        Assert.Equal(new VolumeSnapshotRef("demo", "mg-rs-full-1-1"), Assert.Single(dry.VolumeSnapshots!));
        Assert.Equal(dry.VolumeSnapshots, run.VolumeSnapshots);
        Assert.True(run.Deleted > 0);
    }

    [Fact]
    public async Task A_storage_that_cannot_be_read_is_an_error_in_the_reply_not_a_silence()
    {
        var index = Sys.ActorOf(StorageIndexActor.Props(StorageId, new BrokenProvider(), new StorageIndexSettings(), TimeProvider.System));
        var reply = await index.Ask<RecoverableWindowsReply>(new GetRecoverableWindows(StorageId, Prefix), TimeSpan.FromSeconds(10));
        Assert.Equal($"cannot read stash/local-storage:{Prefix}: credentials rejected", reply.Error);
    }

    public new void Dispose()
    {
        Directory.Delete(_folder, recursive: true);
        base.Dispose();
    }

    [Fact]
    public async Task Compaction_answers_once_the_catalog_holds_its_result_and_the_windows_stay_the_same()
    {
        var entries = SampleRepository.Entries(1_000, 600);
        await WriteChunksAsync(entries, OplogTimestamp.Zero, perChunk: 2);
        await WriteBackupAsync(entries[20]);
        var index = Index();
        var before = await index.Ask<RecoverableWindowsReply>(new GetRecoverableWindows(StorageId, Prefix), TimeSpan.FromSeconds(10));
        Assert.Equal(300, before.Usage!.Single().OplogObjects);

        var compacted = await index.Ask<CompactionReply>(new CompactOplog(StorageId, Prefix, TimeSpan.FromHours(1), TimeSpan.Zero), TimeSpan.FromSeconds(30));
        var after = await index.Ask<RecoverableWindowsReply>(new GetRecoverableWindows(StorageId, Prefix), TimeSpan.FromSeconds(10));

        Assert.Null(compacted.Error);
        Assert.Equal((300, 300), (compacted.Merged, compacted.Removed));
        var listed = 0;
        await foreach (var _ in _store.ListAllAsync(_layout.OplogRoot)) listed++;
        Assert.Equal(compacted.Written, listed);
        Assert.Equal(listed, after.Usage!.Single().OplogObjects);
        Assert.Equal(before.Windows, after.Windows);
        Assert.Equal(before.Gaps, after.Gaps);
    }

    [Fact]
    public async Task A_node_killed_in_the_middle_of_a_compaction_loses_no_entry_and_the_next_node_finishes_it()
    {
        var entries = SampleRepository.Entries(1_000, 600);
        await WriteChunksAsync(entries, OplogTimestamp.Zero, perChunk: 2);
        await WriteBackupAsync(entries[20]);
        var before = await RepositoryCatalog.LoadAsync(_store, _layout);
        var expected = await ReplayAllAsync(before);

        // The first node's storage hangs after the merge was published and some of the originals removed; the node is then
        // killed (its whole actor system gone), the compaction it was running never ends.
        var hanging = new HangingStore(_store, deletesBeforeHanging: 40);
        var node = ActorSystem.Create("killed-node", TestSystem.Actors);
        var index = node.ActorOf(StorageIndexActor.Props(StorageId, new SampleRepository.OneStore(hanging), new StorageIndexSettings(), TimeProvider.System));
        index.Tell(new CompactOplog(StorageId, Prefix, TimeSpan.FromHours(1), TimeSpan.Zero));
        await hanging.Hung.WaitAsync(TimeSpan.FromSeconds(30));
        await node.Terminate();

        var halfway = await RepositoryCatalog.LoadAsync(_store, _layout);
        Assert.Equal(before.Timeline(1).Windows(), halfway.Timeline(1).Windows());
        Assert.Equal(expected, await ReplayAllAsync(halfway));
        Assert.NotEmpty(ChunkCompactor.Superseded(halfway.Timeline(1).Component("rs0")));

        var next = await Index().Ask<CompactionReply>(new CompactOplog(StorageId, Prefix, TimeSpan.FromHours(1), TimeSpan.Zero), TimeSpan.FromSeconds(30));
        var after = await RepositoryCatalog.LoadAsync(_store, _layout);
        Assert.Null(next.Error);
        Assert.Equal(300 - 40, next.Removed);
        Assert.Empty(ChunkCompactor.Superseded(after.Timeline(1).Component("rs0")));
        Assert.Equal(before.Timeline(1).Windows(), after.Timeline(1).Windows());
        Assert.Equal(expected, await ReplayAllAsync(after));
        hanging.Release();
    }

    /// <summary>Every entry the catalog's chain holds, in replay order: a lost entry or one replayed twice changes it.</summary>
    private async Task<List<(OplogTimestamp, string)>> ReplayAllAsync(RepositoryCatalog catalog)
    {
        var history = catalog.Timeline(1).Component("rs0");
        var replayed = new List<(OplogTimestamp, string)>();
        foreach (var run in history.Runs)
        {
            var keys = Enumerable.Range(run.ChainStart, run.ChainEnd - run.ChainStart).Select(i => _layout.ChunkKey("rs0", 1, history.ChainChunk(i))).ToList();
            await foreach (var entry in OplogReplay.ReadAsync(_store, keys, run.From, _ => false))
            {
                replayed.Add((entry.Ts, Convert.ToBase64String(entry.Document.Span)));
            }
        }

        return replayed;
    }

    /// <summary>A store whose calls never return once it has deleted <c>n</c> objects: a node frozen, then killed.</summary>
    private sealed class HangingStore(IObjectStore inner, int deletesBeforeHanging) : IObjectStore
    {
        private readonly TaskCompletionSource _hung = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _deletes;

        public Task Hung => _hung.Task;

        public void Release() => _released.TrySetException(new OperationCanceledException("the node is gone"));

        public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default)
        {
            await HangIfDueAsync();
            await inner.PutAsync(key, content, cancellationToken);
        }

        public async Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken cancellationToken = default)
        {
            await HangIfDueAsync();
            return await inner.PutIfAbsentAsync(key, content, cancellationToken);
        }

        public async Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default)
        {
            await HangIfDueAsync();
            return await inner.GetAsync(key, cancellationToken);
        }

        public async Task<ObjectListing> ListAsync(string prefix, string? continuationToken = null, int pageSize = 1000, CancellationToken cancellationToken = default)
        {
            await HangIfDueAsync();
            return await inner.ListAsync(prefix, continuationToken, pageSize, cancellationToken);
        }

        public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
        {
            await HangIfDueAsync();
            await inner.DeleteAsync(key, cancellationToken);
            Interlocked.Increment(ref _deletes);
        }

        private async Task HangIfDueAsync()
        {
            if (Volatile.Read(ref _deletes) >= deletesBeforeHanging)
            {
                _hung.TrySetResult();
                await _released.Task;
            }
        }
    }

    private IActorRef Index() => Sys.ActorOf(StorageIndexActor.Props(StorageId, new SampleRepository.OneStore(_store), new StorageIndexSettings(), TimeProvider.System));

    private async Task WriteChunksAsync(IReadOnlyList<OplogEntry> entries, OplogTimestamp previous, int perChunk = 25)
    {
        using var writer = new OplogChunkWriter(_store, _layout, "rs0", 1, previous);
        foreach (var batch in entries.Chunk(perChunk))
        {
            foreach (var entry in batch) writer.Append(entry);
            await writer.PublishAsync();
        }
    }

    private async Task<string> WriteBackupAsync(OplogEntry consistentAt)
    {
        var backup = new FullBackupWriter(_store, _layout, new BackupStart("logical", ["rs0"], 1, DateTimeOffset.UnixEpoch));
        await backup.AddFileAsync("all.bson", "rs0", new MemoryStream(new byte[100]));
        return (await backup.CompleteAsync(consistentAt.Ts, consistentAt.WallUnixMs, DateTimeOffset.UnixEpoch)).Id;
    }

    /// <summary>A CSISnapshotter backup: no files, its data in a VolumeSnapshot of that name, at the entry's exact position.</summary>
    private async Task WriteSnapshotBackupAsync(OplogEntry consistentAt, string snapshot)
    {
        var backup = new FullBackupWriter(_store, _layout, new BackupStart("CSISnapshotter", ["rs0"], 1, DateTimeOffset.FromUnixTimeMilliseconds(consistentAt.WallUnixMs)));
        backup.AddVolumeSnapshot(new VolumeSnapshotRecord(
            "rs0", "demo", snapshot, "csi", "datadir-mg-rs-1", "mg-rs-1.mg-rs-pods.demo.svc:27017", consistentAt.Ts, consistentAt.WallUnixMs, 1 << 20, null, null, null,
            DateTimeOffset.FromUnixTimeMilliseconds(consistentAt.WallUnixMs), DateTimeOffset.FromUnixTimeMilliseconds(consistentAt.WallUnixMs)));
        await backup.CompleteAsync(consistentAt.Ts, consistentAt.WallUnixMs, DateTimeOffset.FromUnixTimeMilliseconds(consistentAt.WallUnixMs));
    }

    private sealed class BrokenProvider : IObjectStoreProvider
    {
        public Task<IObjectStore> OpenAsync(ResourceId storage, CancellationToken cancellation = default) =>
            Task.FromException<IObjectStore>(new UnauthorizedAccessException("credentials rejected"));
    }
}
