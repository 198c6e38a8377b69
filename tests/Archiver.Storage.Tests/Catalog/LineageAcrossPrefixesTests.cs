using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using Archiver.Storage.Retention;
using Archiver.Storage.Tests.Support;
using static Archiver.Storage.Tests.Support.History;

namespace Archiver.Storage.Tests.Catalog;

/// <summary>
/// Database A archived seconds 100..999 under its prefix (backup b1 at 150); database B was restored from A up to
/// second 450 and archives its own replica set's oplog (5001..) under another prefix of the same storage.
/// Everything goes through the store, as the archivers write it.
/// </summary>
public sealed class LineageAcrossPrefixesTests : IDisposable
{
    private static readonly DateTimeOffset Now = At(1_000_000);
    private static readonly RepositoryLayout A = RepoLayout;
    private static readonly RepositoryLayout B = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders-copy");
    private readonly TempFolder _folder = new();
    private readonly LocalFolderStore _store;

    public LineageAcrossPrefixesTests() => _store = new LocalFolderStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_target_after_the_branch_starts_from_the_source_prefixs_backup_and_replays_both_prefixes()
    {
        await ArchiveBothAsync();

        var catalog = await RepositoryCatalog.LoadAsync(_store, B);
        var plan = catalog.PlanRestore(RecoveryTarget.AtTime(At(5_250)), Now).Plan!;
        var before = catalog.PlanRestore(RecoveryTarget.AtTime(At(300)), Now).Plan!;

        Assert.Empty(catalog.LineageProblems);
        Assert.Equal([A.Prefix], catalog.ParentCatalogs.Keys);
        Assert.Equal("uid-a", catalog.RecordOf(A.Prefix, 1)!.Owner);
        Assert.Equal((1u, "b1", A.Prefix), (plan.Timeline, plan.BaseBackup.Id, plan.BasePrefix));
        Assert.Equal([(A.Prefix, Ts(450)), (B.Prefix, (OplogTimestamp?)null)], plan.Segments.Select(s => (s.Prefix, s.Until)));
        Assert.All(plan.Segments[0].Chunks, c => Assert.Equal(A.ChunkKey("rs0", 1, c.Range), c.Key));
        Assert.All(plan.Segments[1].Chunks, c => Assert.Equal(B.ChunkKey("rs0", 1, c.Range), c.Key));
        Assert.Equal((4, 3), (plan.Segments[0].Chunks.Count, plan.Segments[1].Chunks.Count));
        foreach (var key in plan.Segments.SelectMany(s => s.Chunks).Select(c => c.Key))
        {
            // Every planned key names an object that is there.
            Assert.NotEmpty(await _store.GetBytesAsync(key));
        }

        Assert.Equal((A.Prefix, 1), (before.BasePrefix, before.Segments.Count));
        Assert.All(before.Segments[0].Chunks, c => Assert.StartsWith(A.OplogRoot, c.Key, StringComparison.Ordinal));
        Assert.Equal([(At(150), At(5_999))], catalog.LineageWindows(1).Select(w => (w.From, w.To)));
    }

    [Fact]
    public async Task A_source_timeline_rewritten_by_another_owner_is_not_followed()
    {
        await ArchiveBothAsync();
        var record = (await RepositoryHistory.ListTimelinesAsync(_store, A)).Single();
        await _store.PutBytesAsync(A.TimelineKey(1), CheckedJson.Serialize(record with { Owner = "uid-z" }, StorageJsonContext.Default.TimelineRecord));

        var catalog = await RepositoryCatalog.LoadAsync(_store, B);

        Assert.False(catalog.PlanRestore(RecoveryTarget.AtTime(At(5_250)), Now).IsPossible);
        Assert.False(catalog.PlanRestore(RecoveryTarget.AtTime(At(300)), Now).IsPossible);
        Assert.Empty(catalog.WindowsOf(1));
        Assert.Empty(catalog.LineageWindows(1));
    }

    [Fact]
    public async Task Retention_of_the_restored_prefix_keeps_its_oplog_the_source_prefixs_backup_replays_into()
    {
        await ArchiveBothAsync();
        var own = new FullBackupWriter(_store, B, new BackupStart("mongodump", ["rs0"], 1, At(5_299)), "c1");
        await own.AddFileAsync("data", "rs0", new MemoryStream(new byte[1_000]));
        await own.CompleteAsync(Ts(5_300), 5_300_000, At(5_300));
        var catalog = await RepositoryCatalog.LoadAsync(_store, B);

        // b1 is not this prefix's to delete: as long as A holds it, B stays recoverable from it after the branch.
        var plan = RetentionPlanner.Plan(catalog, new RetentionRules { KeepLastSucceeded = 1 }, Now);

        Assert.Empty(plan.ChunksToDelete);
        Assert.Empty(plan.BackupsToDelete);
        Assert.Equal("b1", Assert.Single(catalog.WindowsOf(1)).BackupId);
    }

    private async Task ArchiveBothAsync()
    {
        var a = await new RepositoryHistory(_store, A).OpenForArchivingAsync("uid-a", Now);
        await PutChunksAsync(A, Chunks(100, 999, 100, 0));
        var writer = new FullBackupWriter(_store, A, new BackupStart("mongodump", ["rs0"], a.Id, At(149)), "b1");
        await writer.AddFileAsync("data", "rs0", new MemoryStream(new byte[1_000]));
        await writer.CompleteAsync(Ts(150), 150_000, At(150));

        var lineage = new RestoreLineage(A.Prefix, a.Id, "uid-a", Ts(450), 450_000, Ts(5_000), "450 s");
        var b = await new RepositoryHistory(_store, B).OpenForArchivingAsync("uid-b", Now, lineage);
        Assert.Equal((1u, A.Prefix), (b.Id, b.ParentPrefix));
        await PutChunksAsync(B, Chunks(5_001, 5_999, 100, 5_000));
    }

    /// <summary>The catalog reads chunk ranges from names alone, so an object's content does not matter here.</summary>
    private async Task PutChunksAsync(RepositoryLayout layout, IEnumerable<ChunkRange> chunks)
    {
        foreach (var chunk in chunks)
        {
            await _store.PutBytesAsync(layout.ChunkKey("rs0", 1, chunk), new byte[100]);
        }
    }
}
