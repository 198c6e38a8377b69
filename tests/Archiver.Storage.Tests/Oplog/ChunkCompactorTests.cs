using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using Archiver.Storage.Tests.Support;
using Archiver.Storage.Verification;

namespace Archiver.Storage.Tests.Oplog;

public sealed class ChunkCompactorTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly CompactionLimits Small = new() { TargetObjectBytes = 8_000, FrameContentBytes = 2_000 };
    private readonly TempFolder _folder = new();
    private readonly LocalFolderStore _store;
    private readonly RepositoryLayout _layout = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders");
    private readonly List<OplogEntry> _entries = SampleOplog.Entries(1_000, 600, perSecond: 2);

    public ChunkCompactorTests() => _store = new LocalFolderStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Many_small_chunks_become_few_objects_of_many_frames_with_the_same_windows_and_the_same_replay()
    {
        await WriteOneSecondChunksAsync(_entries[..300], OplogTimestamp.Zero);
        await WriteOneSecondChunksAsync(_entries[320..], _entries[319].Ts);
        await WriteBackupAsync(_entries[10]);
        await WriteBackupAsync(_entries[330]);
        var before = await RepositoryCatalog.LoadAsync(_store, _layout);
        var expected = await ReplayAsync(before, _entries[280].Ts);
        var expectedAfterGap = await ReplayAsync(before, _entries[580].Ts);

        var report = await OplogCompaction.RunAsync(_store, _layout, Settings(_entries[499]), Now);
        var after = await RepositoryCatalog.LoadAsync(_store, _layout);

        var history = after.Timeline(1).Component("rs0");
        Assert.Equal(before.Timeline(1).Windows(), after.Timeline(1).Windows());
        Assert.Equal(before.Timeline(1).Component("rs0").Runs.Select(r => (r.From, r.End)), history.Runs.Select(r => (r.From, r.End)));
        Assert.Equal(2, history.Runs.Count);
        Assert.True(history.ChunkCount < before.Timeline(1).Component("rs0").ChunkCount / 3, $"{history.ChunkCount} chunks left");
        Assert.Equal(before.Timeline(1).Component("rs0").ChunkCount - history.ChunkCount, report.Removed.Count - report.Written.Count);
        Assert.Equal(report.Merged, report.Removed.Count);

        // Nothing newer than the limit was touched, and the merged objects hold several frames each.
        Assert.All(report.Written, w => Assert.True(w.Range.Last <= _entries[499].Ts));
        Assert.Contains(history.AllChunks().ToArray(), c => c.First == _entries[500].Ts && c.Last == _entries[501].Ts);
        using var reader = new OplogChunkReader(_store);
        var frames = 0;
        await foreach (var frame in reader.ReadFramesAsync(report.Written[0].Key))
        {
            frames++;
            Assert.True(frame.Header.ContentLength <= Small.FrameContentBytes + 200);
        }

        Assert.True(frames > 1, $"{frames} frame(s)");
        Assert.Equal(expected, await ReplayAsync(after, _entries[280].Ts));
        Assert.Equal(expectedAfterGap, await ReplayAsync(after, _entries[580].Ts));
        var check = await ChunkChainCheck.RunAsync(_store, [.. history.Runs.SelectMany(r => Enumerable.Range(r.ChainStart, r.ChainEnd - r.ChainStart))
            .Select(i => new ChunkToCheck(Descriptor(history.ChainChunk(i)), null))], 2);
        Assert.Empty(check.Problems);
    }

    [Fact]
    public async Task A_merge_removes_nothing_until_the_merged_object_is_old_enough_and_no_restore_holds_a_lease()
    {
        await WriteOneSecondChunksAsync(_entries[..300], OplogTimestamp.Zero);
        var originals = await KeysAsync();
        var now = Now;
        var settings = Settings(_entries[299]) with { RemoveAfter = TimeSpan.FromMinutes(15) };

        var first = await OplogCompaction.RunAsync(_store, _layout, settings, now);
        Assert.NotEmpty(first.Written);
        Assert.Empty(first.Removed);
        Assert.Equal(originals.Count, first.Waiting);
        Assert.Equal(originals.Count + first.Written.Count, (await KeysAsync()).Count);

        // A restore reads the history: still nothing goes, however old the merge.
        await using (await RestoreLease.HoldAsync(_store, [_layout.Prefix], "restore-a", new Microsoft.Extensions.Time.Testing.FakeTimeProvider(now.AddMinutes(50))))
        {
            var leased = await OplogCompaction.RunAsync(_store, _layout, settings, now.AddHours(1));
            Assert.Empty(leased.Removed);
            Assert.Equal(1, leased.Leases);
        }

        // An hour on, the merged objects (small: 1-second chunks compress far better together) were merged again; this
        // run removes the originals and those first merges, and leaves only what nothing else holds.
        var later = await OplogCompaction.RunAsync(_store, _layout, settings, now.AddMinutes(75));
        Assert.Empty(later.Written);
        Assert.Subset(later.Removed.ToHashSet(), originals.ToHashSet());
        var left = (await RepositoryCatalog.LoadAsync(_store, _layout)).Timeline(1).Component("rs0");
        Assert.Empty(ChunkCompactor.Superseded(left));
        Assert.Equal(left.ChunkCount, (await KeysAsync()).Count);
        Assert.Equal((_entries[0].Ts, _entries[299].Ts), (left.AllChunks()[0].First, left.AllChunks()[^1].Last));
    }

    [Fact]
    public async Task An_expired_lease_holds_nothing_back()
    {
        await WriteOneSecondChunksAsync(_entries[..100], OplogTimestamp.Zero);
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now);
        var lease = await RestoreLease.HoldAsync(_store, [_layout.Prefix], "restore-killed", clock);
        Assert.Single(await RestoreLease.LiveAsync(_store, _layout, clock.GetUtcNow()));
        Assert.Empty(await RestoreLease.LiveAsync(_store, _layout, clock.GetUtcNow() + RestoreLease.DefaultDuration));

        var report = await OplogCompaction.RunAsync(_store, _layout, Settings(_entries[99]), clock.GetUtcNow() + RestoreLease.DefaultDuration);
        Assert.Equal(0, report.Leases);
        Assert.NotEmpty(report.Removed);
        await lease.DisposeAsync();
        Assert.Empty(await RestoreLease.LiveAsync(_store, _layout, clock.GetUtcNow()));
    }

    [Fact]
    public async Task Merged_objects_are_merged_again_only_while_small()
    {
        await WriteOneSecondChunksAsync(_entries[..300], OplogTimestamp.Zero);
        var limits = new CompactionLimits { TargetObjectBytes = 40_000, FrameContentBytes = 4_000 };
        var settings = Settings(_entries[149]) with { Limits = limits };
        var first = await OplogCompaction.RunAsync(_store, _layout, settings, Now);
        var second = await OplogCompaction.RunAsync(_store, _layout, settings with { OlderThan = Settings(_entries[299]).OlderThan }, Now);

        var history = (await RepositoryCatalog.LoadAsync(_store, _layout)).Timeline(1).Component("rs0");
        Assert.Single(first.Written);
        Assert.True(first.Written[0].Range.SizeBytes < limits.MergeBelowBytes);
        Assert.Contains(second.Removed, k => k == first.Written[0].Key);
        Assert.Single(history.Runs);
        Assert.Equal(_entries[299].Ts, history.Runs[0].End);
        Assert.All(history.AllChunks().ToArray(), c => Assert.True(c.SizeBytes <= limits.TargetObjectBytes + 1_000, $"{c.SizeBytes} bytes"));
    }

    [Fact]
    public async Task A_merged_object_cut_short_or_with_a_frame_missing_is_refused_by_name()
    {
        await WriteOneSecondChunksAsync(_entries[..300], OplogTimestamp.Zero);
        var report = await OplogCompaction.RunAsync(_store, _layout, Settings(_entries[299]) with { RemoveAfter = TimeSpan.FromDays(1) }, Now);
        var key = report.Written[0].Key;
        var bytes = await File.ReadAllBytesAsync(Path.Combine(_folder.Path, key));
        var firstFrame = OplogChunkFormat.ReadHeader(key, bytes);
        var firstLength = OplogChunkFormat.FixedHeaderLength + "rs0".Length + OplogChunkFormat.ChecksumLength + (int)firstFrame.PayloadLength;

        foreach (var damaged in new[] { bytes[..^3], bytes[..firstLength], bytes[firstLength..], [.. bytes, .. bytes[..firstLength]] })
        {
            await File.WriteAllBytesAsync(Path.Combine(_folder.Path, key), damaged);
            using var reader = new OplogChunkReader(_store);
            var error = await Assert.ThrowsAsync<CorruptObjectException>(async () =>
            {
                await foreach (var frame in reader.ReadFramesAsync(key))
                {
                    Assert.True(frame.Entries.Count > 0);
                }
            });
            Assert.Contains(key, error.Message);
        }
    }

    [Fact]
    public async Task A_restore_planned_before_a_merge_and_taken_up_after_its_chunks_were_removed_replays_the_same_entries()
    {
        await WriteOneSecondChunksAsync(_entries[..300], OplogTimestamp.Zero);
        await WriteBackupAsync(_entries[10]);
        var target = RecoveryTarget.AtTs(_entries[280].Ts);
        var recorded = RestorePlanDocument.From((await RepositoryCatalog.LoadAsync(_store, _layout)).PlanRestore(target, Now).Plan!).ToJson();
        var expected = await ReplayAsync(await RestorePlanDocument.FromJson(recorded).ResolveAsync(_store), target);

        var report = await OplogCompaction.RunAsync(_store, _layout, Settings(_entries[299]), Now);
        Assert.NotEmpty(report.Removed);

        var resolved = await RestorePlanDocument.FromJson(recorded).ResolveAsync(_store);
        Assert.True(resolved.Segments.Single().Chunks.Count < 10);
        Assert.Equal(expected, await ReplayAsync(resolved, target));
    }

    /// <summary>The sample oplog's walls are in 1970: an age that puts the limit, seen from <see cref="Now"/>, exactly at this entry.</summary>
    private static CompactionSettings Settings(OplogEntry newestToMerge) => new()
    {
        OlderThan = Now - DateTimeOffset.FromUnixTimeMilliseconds(newestToMerge.WallUnixMs),
        RemoveAfter = TimeSpan.Zero,
        Limits = Small,
    };

    private ChunkDescriptor Descriptor(ChunkRange range) => new(_layout.ChunkKey("rs0", 1, range), "rs0", 1, range);

    private async Task WriteOneSecondChunksAsync(List<OplogEntry> entries, OplogTimestamp previous)
    {
        using var writer = new OplogChunkWriter(_store, _layout, "rs0", 1, previous);
        foreach (var second in entries.GroupBy(e => e.Ts.Seconds))
        {
            foreach (var entry in second)
            {
                writer.Append(entry);
            }

            await writer.PublishAsync();
        }
    }

    private async Task WriteBackupAsync(OplogEntry consistentAt)
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(consistentAt.WallUnixMs);
        var backup = new FullBackupWriter(_store, _layout, new BackupStart("mongodump", ["rs0"], 1, at));
        await backup.CompleteAsync(consistentAt.Ts, consistentAt.WallUnixMs, at);
    }

    private async Task<List<(OplogTimestamp, string)>> ReplayAsync(RepositoryCatalog catalog, OplogTimestamp at)
    {
        var target = RecoveryTarget.AtTs(at);
        return await ReplayAsync(catalog.PlanRestore(target, Now).Plan!, target);
    }

    private async Task<List<(OplogTimestamp, string)>> ReplayAsync(RestorePlan plan, RecoveryTarget target)
    {
        var replayed = new List<(OplogTimestamp, string)>();
        var keys = plan.Components.Single().Chunks.Select(c => c.Key).ToList();
        await foreach (var entry in OplogReplay.ReadAsync(_store, keys, plan.BaseBackup.ConsistentAt, target.IsPast))
        {
            replayed.Add((entry.Ts, Convert.ToBase64String(entry.Document.Span)));
        }

        return replayed;
    }

    private async Task<List<string>> KeysAsync()
    {
        var keys = new List<string>();
        await foreach (var item in _store.ListAllAsync(_layout.OplogRoot))
        {
            keys.Add(item.Key);
        }

        return keys;
    }
}
