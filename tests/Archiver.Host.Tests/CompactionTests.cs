using Archiver.Host.Node;
using Archiver.Messages.Resources;
using Archiver.Storage.Backends;
using Archiver.Storage.Layout;
using static Archiver.Host.Tests.DisasterRecoveryScenario;

namespace Archiver.Host.Tests;

/// <summary>
/// Oplog compaction on the embedded node, scaled down (chunks merged once 2 s old, every second, the originals removed a second later): the database's
/// one-second chunks become a few objects, its status and windows say so at once, and a restore to a moment inside the
/// merged history equals the source at that moment.
/// </summary>
public sealed class CompactionTests() : ScenarioNodeTests("compact")
{
    [Fact]
    public async Task The_embedded_node_merges_a_databases_old_chunks_and_a_restore_into_the_merged_history_is_exact()
    {
        var (source, _) = await Scenario.FirstDatabaseAsync();
        await WriteAsync(source, "seed", 100);
        await Scenario.CliOkAsync("backup", Source.ToString());
        for (var round = 0; round < 6; round++)
        {
            await WriteAsync(source, $"r{round}", 30, deleteEvery: 5);
            await Task.Delay(1_100);
        }

        var moment = await MomentAsync();
        var atMoment = await ReadAsync(source);
        await WriteAsync(source, "after", 20);
        await Scenario.WaitArchivedAsync(await LastWriteAsync(source));
        var windows = (await Scenario.CatalogAsync()).Timeline(1).Windows();

        // Merged (chunks 2 s old, every second) and the originals removed: one object spans the rounds written a second
        // apart, and the status counts what is in the storage.
        DatabaseArchiverStatus? status = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        List<Archiver.Storage.Oplog.ChunkRange> chunks;
        while (true)
        {
            chunks = await ChunksAsync();
            status = (await Scenario.GetAsync(Source))?.Status?.Archiver;
            if ((chunks.Any(c => c.LastWallUnixMs - c.FirstWallUnixMs > 4_000) && chunks.Count < 10 && status?.Storage?.SingleOrDefault()?.OplogObjects == chunks.Count) || DateTime.UtcNow > deadline) break;
            await Task.Delay(200);
        }

        Assert.Contains(chunks, c => c.LastWallUnixMs - c.FirstWallUnixMs > 4_000);
        Assert.Equal(chunks.Count, status?.Storage?.Single().OplogObjects);
        Assert.True(chunks.Count < 10, $"{chunks.Count} objects left: {string.Join(", ", chunks.Select(c => $"{c.First}-{c.Last} ({c.LastWallUnixMs - c.FirstWallUnixMs} ms)"))}");
        Assert.Empty(Archiver.Storage.Oplog.ChunkCompactor.Superseded((await Scenario.CatalogAsync()).Timeline(1).Component("rs0")));
        var after = (await Scenario.CatalogAsync()).Timeline(1).Windows();
        Assert.Equal(windows[0].From, after[0].From);
        Assert.True(after[^1].To >= windows[^1].To);

        Same(atMoment, await Scenario.RestoreAsync("restored", "rs1", moment));
    }

    private protected override NodeSettings Settings(NodeSettings brisk) => brisk with { CompactionInterval = TimeSpan.FromSeconds(1), CompactionRemoveAfter = TimeSpan.FromSeconds(1) };

    private protected override string ArchiverText() =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "examples", "embedded", "archiver.yaml"))
            .Replace("idleFlushInterval: 5m", "idleFlushInterval: 1s", StringComparison.Ordinal)
            .Replace("compactAfter: 1h", "compactAfter: 2s", StringComparison.Ordinal);

    private async Task<List<Archiver.Storage.Oplog.ChunkRange>> ChunksAsync()
    {
        var chunks = new List<Archiver.Storage.Oplog.ChunkRange>();
        var store = new LocalFolderStore(Path.Combine(Scenario.Data, "backups"));
        await foreach (var item in store.ListAllAsync(RepositoryLayout.ForDatabase("MongoDB", Source.Namespace, Source.Name).OplogRoot))
        {
            if (ChunkName.TryParse(item.Key.AsSpan(item.Key.LastIndexOf('/') + 1), item.Size, out var range)) chunks.Add(range);
        }

        return chunks;
    }
}
