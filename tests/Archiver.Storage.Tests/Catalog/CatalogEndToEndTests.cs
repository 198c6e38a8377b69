using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.Catalog;

public sealed class CatalogEndToEndTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly LocalFolderStore _store;
    private readonly RepositoryLayout _layout = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders");

    public CatalogEndToEndTests() => _store = new LocalFolderStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_catalog_loaded_from_the_store_plans_a_replay_that_yields_exactly_the_entries_up_to_the_target()
    {
        var entries = SampleOplog.Entries(1_000, 600, perSecond: 2);
        var live = new RepositoryCatalog(_layout);
        using (var writer = new OplogChunkWriter(_store, _layout, "rs0", 1, OplogTimestamp.Zero))
        {
            foreach (var batch in entries.Chunk(37))
            {
                foreach (var entry in batch)
                {
                    writer.Append(entry);
                }

                live.AddChunk((await writer.PublishAsync())!);
            }
        }

        // A crash made the writer resume from an older point: an overlapping chunk exists too.
        using (var resumed = new OplogChunkWriter(_store, _layout, "rs0", 1, entries[99].Ts))
        {
            foreach (var entry in entries[100..180])
            {
                resumed.Append(entry);
            }

            live.AddChunk((await resumed.PublishAsync())!);
        }

        var backup = new FullBackupWriter(_store, _layout, new BackupStart("mongodump", ["rs0"], 1, DateTimeOffset.UnixEpoch));
        await backup.AddFileAsync("all.bson", "rs0", new MemoryStream(new byte[1000]));
        live.AddBackup(await backup.CompleteAsync(entries[50].Ts, entries[50].WallUnixMs, DateTimeOffset.UnixEpoch));

        var loaded = await RepositoryCatalog.LoadAsync(_store, _layout);
        var target = RecoveryTarget.AtTime(entries[450].Wall);
        var plan = loaded.PlanRestore(target, DateTimeOffset.UtcNow).Plan!;
        var replayed = new List<OplogEntry>();
        await foreach (var entry in OplogReplay.ReadAsync(_store, plan.Components.Single().Chunks.Select(c => c.Key), plan.BaseBackup.ConsistentAt, target.IsPast))
        {
            // The replay reuses its buffers from chunk to chunk: keep a copy.
            replayed.Add(entry with { Document = entry.Document.ToArray() });
        }

        Assert.Equal(live.Timeline(1).Windows(), loaded.Timeline(1).Windows());
        Assert.Empty(loaded.UnrecognizedKeys);
        var expected = entries.Where(e => e.Ts > entries[50].Ts && e.WallUnixMs <= entries[450].WallUnixMs).ToList();
        Assert.Equal(expected.Select(e => e.Ts), replayed.Select(e => e.Ts));
        Assert.True(expected.Zip(replayed).All(p => p.First.Document.Span.SequenceEqual(p.Second.Document.Span)));
    }

    [Fact]
    public async Task A_plan_read_back_from_its_document_names_the_same_backup_and_chunks_and_writes_the_same_text()
    {
        var entries = SampleOplog.Entries(1_000, 300, perSecond: 2);
        using (var writer = new OplogChunkWriter(_store, _layout, "rs0", 1, OplogTimestamp.Zero))
        {
            foreach (var batch in entries.Chunk(41))
            {
                foreach (var entry in batch)
                {
                    writer.Append(entry);
                }

                await writer.PublishAsync();
            }
        }

        var backup = new FullBackupWriter(_store, _layout, new BackupStart("mongodump", ["rs0"], 1, DateTimeOffset.UnixEpoch));
        await backup.AddFileAsync("all.bson", "rs0", new MemoryStream(new byte[100]));
        var manifest = await backup.CompleteAsync(entries[30].Ts, entries[30].WallUnixMs, DateTimeOffset.UnixEpoch);
        var plan = (await RepositoryCatalog.LoadAsync(_store, _layout)).PlanRestore(RecoveryTarget.AtTime(entries[200].Wall, exclusive: true), DateTimeOffset.UtcNow).Plan!;

        var json = RestorePlanDocument.From(plan).ToJson();
        var read = await RestorePlanDocument.FromJson(json).ResolveAsync(_store);

        Assert.Equal(plan.Target, read.Target);
        Assert.Equal(plan.BaseBackup.Id, read.BaseBackup.Id);
        Assert.Equal(plan.BytesToRead, read.BytesToRead);
        Assert.Equal(plan.Segments.Single().Chunks, read.Segments.Single().Chunks);
        Assert.True(plan.Segments.Single().Chunks.Count >= 4);
        Assert.Equal(json, RestorePlanDocument.From(read).ToJson());

        // The base backup gone (retention, a wipe): the recorded plan cannot run, and says which backup it needed.
        await _store.DeleteAsync(_layout.BackupManifestKey(manifest.Id));
        var gone = await Assert.ThrowsAnyAsync<Exception>(() => RestorePlanDocument.FromJson(json).ResolveAsync(_store));
        Assert.Contains(manifest.Id, gone.Message, StringComparison.Ordinal);
    }
}
