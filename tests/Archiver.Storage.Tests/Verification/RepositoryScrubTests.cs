using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using Archiver.Storage.Tests.Support;
using Archiver.Storage.Verification;
using Archiver.Storage.VolumeSnapshots;
using ZstdSharp;

namespace Archiver.Storage.Tests.Verification;

/// <summary>A repository written by the real writers, then damaged the ways storage damages things, then scrubbed.</summary>
public sealed class RepositoryScrubTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly LocalFolderStore _store;
    private readonly RepositoryLayout _layout = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders");
    private readonly List<OplogEntry> _entries = SampleOplog.Entries(1_000, 300, perSecond: 2);
    private readonly List<ChunkDescriptor> _chunks = [];
    private BackupManifest _backup = null!;

    public RepositoryScrubTests() => _store = new LocalFolderStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_healthy_repository_is_verified_with_every_chunk_and_file_read()
    {
        await WriteRepositoryAsync();

        var result = await ScrubAsync();

        Assert.True(result.Verified, string.Join("\n", result.Problems.Select(p => p.Describe())));
        Assert.Equal(_chunks.Count, result.ChunksChecked);
        Assert.Equal(1, result.BackupFilesChecked);
        Assert.Equal(_chunks.Sum(c => c.Range.SizeBytes) + _backup.TotalStoredBytes, result.BytesChecked);
    }

    [Fact]
    public async Task A_flipped_byte_in_a_chunk_is_named_with_the_window_it_breaks_from_the_chunks_first_entry()
    {
        await WriteRepositoryAsync();
        var broken = _chunks[3];
        await FlipByteAsync(broken.Key, fromEnd: 10);

        var result = await ScrubAsync();

        var problem = Assert.Single(result.Problems);
        Assert.Equal(broken.Key, problem.Key);
        Assert.Equal(ScrubProblemKind.Corrupt, problem.Kind);
        Assert.Contains("CRC-32C", problem.Reason, StringComparison.Ordinal);
        var window = Assert.Single(problem.Breaks);
        Assert.Equal(_backup.Id, window.Window.BackupId);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(broken.Range.FirstWallUnixMs), window.From);
        Assert.Contains(broken.Key, problem.Describe(), StringComparison.Ordinal);
        Assert.Contains(_backup.Id, problem.Describe(), StringComparison.Ordinal);
        Assert.Equal(_chunks.Count, result.ChunksChecked);
    }

    [Fact]
    public async Task A_chunk_whose_previous_entry_is_not_the_last_of_the_chunk_before_it_is_a_broken_link()
    {
        await WriteRepositoryAsync();
        // Chunk 4 rewritten, validly encoded and named, but claiming an entry inside chunk 2 as the one before its first:
        // the catalog still chains it (its previous is archived), yet it disagrees with chunk 3 about the oplog between.
        var original = _chunks[4];
        var previous = _entries[120].Ts;
        var relinked = original with { Range = original.Range with { Previous = previous } };
        using (var compressor = new Compressor(3))
        {
            var bytes = OplogChunkFormat.Encode("rs0", 1, previous, _entries[200..250], ChunkCodec.Zstd, compressor);
            relinked = relinked with { Key = _layout.ChunkKey("rs0", 1, relinked.Range with { SizeBytes = bytes.Count }) };
            await _store.DeleteAsync(original.Key);
            await _store.PutBytesAsync(relinked.Key, bytes);
        }

        var result = await ScrubAsync();

        var problem = Assert.Single(result.Problems);
        Assert.Equal(relinked.Key, problem.Key);
        Assert.Equal(ScrubProblemKind.BrokenLink, problem.Kind);
        Assert.Contains(_chunks[3].Key, problem.Reason, StringComparison.Ordinal);
        Assert.Equal(_backup.Id, Assert.Single(problem.Breaks).Window.BackupId);
    }

    [Fact]
    public async Task An_altered_backup_file_is_named_and_breaks_its_backups_whole_window()
    {
        await WriteRepositoryAsync();
        var file = _layout.BackupFileKey(_backup.Id, "all.bson");
        await FlipByteAsync(file, fromEnd: 100);

        var result = await ScrubAsync();

        var problem = Assert.Single(result.Problems);
        Assert.Equal(file, problem.Key);
        Assert.Equal(ScrubProblemKind.Corrupt, problem.Kind);
        var window = Assert.Single(problem.Breaks);
        Assert.Equal(window.Window.From, window.From);
        Assert.Equal(_backup.Id, window.Window.BackupId);
    }

    [Fact]
    public async Task A_corrupt_duplicate_the_chain_skips_is_named_but_breaks_no_window()
    {
        await WriteRepositoryAsync();
        // A resumed writer's overlapping chunk: the chain already holds its entries.
        using (var resumed = new OplogChunkWriter(_store, _layout, "rs0", 1, _entries[59].Ts))
        {
            foreach (var entry in _entries[60..90])
            {
                resumed.Append(entry);
            }

            var duplicate = (await resumed.PublishAsync())!;
            await FlipByteAsync(duplicate.Key, fromEnd: 5);

            var result = await ScrubAsync();

            var problem = Assert.Single(result.Problems);
            Assert.Equal(duplicate.Key, problem.Key);
            Assert.Empty(problem.Breaks);
            Assert.Equal(_chunks.Count + 1, result.ChunksChecked);
        }
    }

    [Fact]
    public async Task A_volume_snapshot_backup_is_verified_against_the_cluster_and_a_snapshot_gone_or_failed_is_named_with_its_window()
    {
        await WriteRepositoryAsync();
        var volumes = await WriteVolumeBackupAsync();

        var usable = new ScriptedSnapshots(_ => VolumeSnapshotState.Usable);
        var healthy = await ScrubAsync(usable);
        var gone = await ScrubAsync(new ScriptedSnapshots(name => VolumeSnapshotState.Gone($"VolumeSnapshot shop/{name} does not exist")));
        var failed = await ScrubAsync(new ScriptedSnapshots(name => VolumeSnapshotState.Unusable($"VolumeSnapshot shop/{name} reports an error: the driver lost it")));
        var embedded = await ScrubAsync();

        Assert.True(healthy.Verified, string.Join("\n", healthy.Problems.Select(p => p.Describe())));
        Assert.Equal(["shop/orders-full-2"], usable.Asked);
        foreach (var (result, kind, reason) in new[] { (gone, ScrubProblemKind.Missing, "does not exist"), (failed, ScrubProblemKind.Unusable, "reports an error: the driver lost it") })
        {
            var problem = Assert.Single(result.Problems);
            Assert.Equal(("VolumeSnapshot shop/orders-full-2", kind, volumes.Id), (problem.Key, problem.Kind, problem.BackupId));
            Assert.Contains(reason, problem.Reason, StringComparison.Ordinal);
            Assert.Equal(volumes.Id, Assert.Single(problem.Breaks).Window.BackupId);
        }

        Assert.True(embedded.Verified);
    }

    [Fact]
    public async Task A_volume_snapshot_deleted_by_retention_just_before_its_manifest_counts_as_vanished()
    {
        await WriteRepositoryAsync();
        var volumes = await WriteVolumeBackupAsync();

        // Retention deletes the snapshot, then the manifest: the scrub sees the first step while the second follows.
        var result = await ScrubAsync(new ScriptedSnapshots(name =>
        {
            _store.DeleteAsync(_layout.BackupManifestKey(volumes.Id)).GetAwaiter().GetResult();
            return VolumeSnapshotState.Gone($"VolumeSnapshot shop/{name} does not exist");
        }));

        Assert.True(result.Verified, string.Join("\n", result.Problems.Select(p => p.Describe())));
        Assert.Equal(1, result.Vanished);
    }

    [Fact]
    public async Task A_chunk_deleted_after_the_listing_counts_as_vanished_not_as_a_problem()
    {
        await WriteRepositoryAsync();
        var catalog = await RepositoryCatalog.LoadAsync(_store, _layout);
        await _store.DeleteAsync(_chunks[^1].Key);

        var result = await new RepositoryScrub(_store, catalog).RunAsync();

        Assert.True(result.Verified);
        Assert.Equal(1, result.Vanished);
    }

    [Theory]
    [InlineData(3, true, true)]
    [InlineData(5, true, false)]
    public async Task A_broken_chunk_of_the_history_a_restore_branched_from_breaks_the_branchs_window_only_if_it_is_before_the_branch(
        int brokenChunk, bool breaksParent, bool breaksBranch)
    {
        await WriteRepositoryAsync();
        var (catalog, _) = await BranchAsync(branchedAfter: _entries[199]);
        await FlipByteAsync(_chunks[brokenChunk].Key, fromEnd: 10);

        var result = await new RepositoryScrub(_store, catalog).RunAsync();

        var problem = Assert.Single(result.Problems);
        Assert.Equal(breaksParent, problem.Breaks.Any(b => b.Window.Timeline == 1));
        var branch = problem.Breaks.SingleOrDefault(b => b.Window.Timeline == 2);
        Assert.Equal(breaksBranch, branch is not null);
        if (branch is not null)
        {
            // Restored from timeline 1's backup: all of the branch's window needs the chunk.
            Assert.Equal((_backup.Id, branch.Window.From), (branch.Window.BackupId, branch.From));
        }
    }

    [Fact]
    public async Task A_broken_chunk_of_a_branchs_own_oplog_breaks_its_window_from_that_chunk_on()
    {
        await WriteRepositoryAsync();
        var (catalog, own) = await BranchAsync(branchedAfter: _entries[199]);
        await FlipByteAsync(own[1].Key, fromEnd: 10);

        var result = await new RepositoryScrub(_store, catalog).RunAsync();

        var problem = Assert.Single(result.Problems);
        Assert.Equal(own[1].Key, problem.Key);
        var broken = Assert.Single(problem.Breaks);
        Assert.Equal(2u, broken.Window.Timeline);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(own[1].Range.FirstWallUnixMs), broken.From);
    }

    /// <summary>
    /// Timeline 2, branched from timeline 1 after <paramref name="branchedAfter"/> by a restore, with no backup of its
    /// own: its oplog (two chunks) archived from where the restore ended.
    /// </summary>
    private async Task<(RepositoryCatalog Catalog, List<ChunkDescriptor> Own)> BranchAsync(OplogEntry branchedAfter)
    {
        var entries = SampleOplog.Entries(5_000, 100, perSecond: 2);
        var archiveAfter = new OplogTimestamp(4_999, 1);
        var own = new List<ChunkDescriptor>();
        using (var writer = new OplogChunkWriter(_store, _layout, "rs0", 2, archiveAfter))
        {
            foreach (var batch in entries.Chunk(50))
            {
                foreach (var entry in batch)
                {
                    writer.Append(entry);
                }

                own.Add((await writer.PublishAsync())!);
            }
        }

        var catalog = await RepositoryCatalog.LoadAsync(_store, _layout);
        catalog.AddTimelineRecord(new TimelineRecord(1, null, OplogTimestamp.Zero, 0, "uid-a", DateTimeOffset.UnixEpoch, "first archive"));
        catalog.AddTimelineRecord(new TimelineRecord(2, 1, branchedAfter.Ts, 4_999_000, "uid-b", DateTimeOffset.UnixEpoch, "restored from timeline 1")
        {
            ParentOwner = "uid-a",
            ArchiveAfter = archiveAfter,
        });
        Assert.NotNull(catalog.InheritedWindow(2));
        return (catalog, own);
    }

    private async Task<ScrubResult> ScrubAsync(IVolumeSnapshotter? snapshots = null) =>
        await new RepositoryScrub(_store, await RepositoryCatalog.LoadAsync(_store, _layout), snapshots: snapshots, retentionGrace: TimeSpan.Zero).RunAsync();

    /// <summary>A CSISnapshotter backup consistent inside the fourth chunk: no files, one VolumeSnapshot of the data.</summary>
    private async Task<BackupManifest> WriteVolumeBackupAsync()
    {
        var at = _entries[160];
        var writer = new FullBackupWriter(_store, _layout, new BackupStart("CSISnapshotter", ["rs0"], 1, DateTimeOffset.UnixEpoch.AddHours(1)));
        writer.AddVolumeSnapshot(new VolumeSnapshotRecord("rs0", "shop", "orders-full-2", "csi", "datadir-orders-1", "orders-1:27017", at.Ts, at.WallUnixMs,
            1 << 30, "snapcontent-2", "handle-2", "hostpath.csi.k8s.io", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch));
        return await writer.CompleteAsync(at.Ts, at.WallUnixMs, DateTimeOffset.UnixEpoch.AddHours(1));
    }

    /// <summary>The cluster's answer about each snapshot, as a test sets it; what it was asked.</summary>
    private sealed class ScriptedSnapshots(Func<string, VolumeSnapshotState> state) : IVolumeSnapshotter
    {
        public List<string> Asked { get; } = [];

        public Task<VolumeSnapshotState> StateOfAsync(string @namespace, string name, CancellationToken cancellationToken)
        {
            Asked.Add($"{@namespace}/{name}");
            return Task.FromResult(state(name));
        }

        public Task PrecheckAsync(VolumeSnapshotRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task CreateAsync(VolumeSnapshotRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<DateTimeOffset> WaitCutAsync(string @namespace, string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<VolumeSnapshotReady> WaitReadyAsync(string @namespace, string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<VolumeSnapshotReady> WaitRestorableAsync(string @namespace, string name, string className, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task DeleteAsync(string @namespace, string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<VolumeSnapshotReady> BindCopyAsync(VolumeSnapshotRecord source, string @namespace, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task DeleteCopyAsync(string @namespace, string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task WaitClaimsMadeAsync(string @namespace, IReadOnlyList<string> claims, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ClaimTrouble?> ClaimTroubleAsync(string @namespace, IReadOnlyList<string> claims, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    /// <summary>Six chunks of 50 entries and a backup consistent inside the first, written as the archiver and a backup do.</summary>
    private async Task WriteRepositoryAsync()
    {
        using (var writer = new OplogChunkWriter(_store, _layout, "rs0", 1, OplogTimestamp.Zero))
        {
            foreach (var batch in _entries.Chunk(50))
            {
                foreach (var entry in batch)
                {
                    writer.Append(entry);
                }

                _chunks.Add((await writer.PublishAsync())!);
            }
        }

        var data = new byte[4_000];
        new Random(7).NextBytes(data);
        var backup = new FullBackupWriter(_store, _layout, new BackupStart("mongodump", ["rs0"], 1, DateTimeOffset.UnixEpoch));
        await backup.AddFileAsync("all.bson", "rs0", new MemoryStream(data));
        _backup = await backup.CompleteAsync(_entries[20].Ts, _entries[20].WallUnixMs, DateTimeOffset.UnixEpoch);
    }

    private async Task FlipByteAsync(string key, int fromEnd)
    {
        var bytes = await _store.GetBytesAsync(key);
        bytes[^fromEnd] ^= 0x40;
        await _store.PutBytesAsync(key, bytes);
    }
}
