using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.Oplog;

public sealed class ChunkCompactorTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly LocalFolderStore _store;
    private readonly RepositoryLayout _layout = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders");
    private readonly List<OplogEntry> _entries = SampleOplog.Entries(1_000, 600, perSecond: 2);

    public ChunkCompactorTests() => _store = new LocalFolderStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Many_small_chunks_become_few_large_ones_with_the_same_windows_and_the_same_replay()
    {
        await WriteOneSecondChunksAsync(_entries[..300], OplogTimestamp.Zero);
        await WriteOneSecondChunksAsync(_entries[320..], _entries[319].Ts);
        await WriteBackupAsync(_entries[10]);
        var before = await RepositoryCatalog.LoadAsync(_store, _layout);
        var expected = await ReplayAsync(before);

        var result = await ChunkCompactor.CompactAsync(_store, _layout, before.Timeline(1).Component("rs0"), _entries[500].Ts, targetContentBytes: 8_000);
        var after = await RepositoryCatalog.LoadAsync(_store, _layout);

        Assert.Equal(before.Timeline(1).Windows(), after.Timeline(1).Windows());
        Assert.Equal(before.Timeline(1).Component("rs0").Runs.Select(r => (r.From, r.End)), after.Timeline(1).Component("rs0").Runs.Select(r => (r.From, r.End)));
        Assert.True(after.Timeline(1).Component("rs0").ChunkCount < before.Timeline(1).Component("rs0").ChunkCount / 5);
        Assert.Equal(before.Timeline(1).Component("rs0").ChunkCount - after.Timeline(1).Component("rs0").ChunkCount, result.Deleted.Count - result.Written.Count);
        Assert.Equal(expected, await ReplayAsync(after));
        Assert.Equal(2, after.Timeline(1).Component("rs0").Runs.Count);
    }

    [Fact]
    public async Task A_crash_between_publishing_the_merged_chunk_and_deleting_the_originals_changes_nothing()
    {
        await WriteOneSecondChunksAsync(_entries[..300], OplogTimestamp.Zero);
        await WriteBackupAsync(_entries[10]);
        var before = await RepositoryCatalog.LoadAsync(_store, _layout);
        var expected = await ReplayAsync(before);
        var originals = await KeysAsync();
        var result = await ChunkCompactor.CompactAsync(_store, _layout, before.Timeline(1).Component("rs0"), _entries[299].Ts, targetContentBytes: 8_000);

        // Chunk names are deterministic: writing the same seconds again restores the originals, as if the
        // deletions had never happened.
        await WriteOneSecondChunksAsync(_entries[..300], OplogTimestamp.Zero);
        var both = await RepositoryCatalog.LoadAsync(_store, _layout);

        Assert.NotEmpty(result.Written);
        Assert.Equal(originals.Count + result.Written.Count, (await KeysAsync()).Count);
        Assert.Equal(before.Timeline(1).Windows(), both.Timeline(1).Windows());
        Assert.Equal(expected, await ReplayAsync(both));
    }

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
        var backup = new FullBackupWriter(_store, _layout, new BackupStart("mongodump", ["rs0"], 1, DateTimeOffset.UnixEpoch));
        await backup.CompleteAsync(consistentAt.Ts, consistentAt.WallUnixMs, DateTimeOffset.UnixEpoch);
    }

    private async Task<List<(OplogTimestamp, string)>> ReplayAsync(RepositoryCatalog catalog)
    {
        var target = RecoveryTarget.AtTs(_entries[280].Ts);
        var plan = catalog.PlanRestore(target, DateTimeOffset.UtcNow).Plan!;
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
