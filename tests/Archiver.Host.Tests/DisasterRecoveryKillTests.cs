using Archiver.Messages.Resources;
using Archiver.Mongo.Restore;
using MongoDB.Bson;
using MongoDB.Driver;
using static Archiver.Host.Tests.DisasterRecoveryScenario;

namespace Archiver.Host.Tests;

/// <summary>
/// Same-name disaster recovery with the node killed (SIGKILL, a real child process) at the two moments that
/// matter: as the database is deleted, and right after its replacement's restore ended. A new node on the same
/// folder must finish the job: nothing of the deleted database archived after its deletion, the restored one
/// archived on its own timeline from its restore target on.
/// </summary>
public sealed class DisasterRecoveryKillTests : IAsyncLifetime
{
    // A status refreshed every second (as the in-process tests' brisk node does), so waiting on it is quick.
    private static readonly string[] StatusEverySecond = ["--status-interval", "1s"];

    private readonly string _data = Directory.CreateTempSubdirectory("archiver-dr-kill-").FullName;
    private NodeProcess _node = null!;
    private DisasterRecoveryScenario _dr = null!;

    public async Task InitializeAsync()
    {
        _node = await NodeProcess.StartAsync(_data, StatusEverySecond);
        _dr = await DisasterRecoveryScenario.StartAsync(_data, _node.Address);
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        await _dr.DisposeAsync();
        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task A_node_killed_as_the_database_is_deleted_archives_nothing_more_of_it_and_archives_its_restored_replacement()
    {
        var (old, first, branch, atBranch) = await ArchivedAndDamagedAsync();

        await _dr.CliOkAsync("delete", "mongodb", Source.ToString());
        await _node.KillAsync();
        var deletedAt = DateTimeOffset.UtcNow;
        await WriteAsync(old, "ghost", 40);
        await RestartAsync();
        Assert.Null(await _dr.GetAsync(Source));

        var restored = await _dr.ReplicaSetAsync("rs1", "src-new");
        await _dr.ApplyAsync(Database("src-new", "rs1", recoveryTimeStamp: branch));
        var second = await _dr.WaitForAsync(Source, db => db.Metadata.Uid != first.Metadata.Uid && db.Status?.Archiver?.Phase == DatabaseArchiverPhase.Archiving, TimeSpan.FromSeconds(60));
        Same(atBranch, await ReadAsync(restored));
        await CarriesOnAsync(restored, second.Metadata.Uid);

        var catalog = await _dr.CatalogAsync();
        Assert.True(catalog.Timeline(1).Component("rs0").LastWallUnixMs <= deletedAt.ToUnixTimeMilliseconds(), "the deleted database's stream went on after the restart");
    }

    [Fact]
    public async Task A_node_killed_right_after_a_restore_ended_archives_the_restored_database_from_its_restore_target_on()
    {
        var (_, first, branch, atBranch) = await ArchivedAndDamagedAsync();
        await _dr.CliOkAsync("delete", "mongodb", Source.ToString());

        var restored = await _dr.ReplicaSetAsync("rs1", "src-new");
        await _dr.ApplyAsync(Database("src-new", "rs1", recoveryTimeStamp: branch));
        await _dr.WaitForAsync(Source, db => db.Metadata.Uid != first.Metadata.Uid && db.Status?.Archiver?.Phase is DatabaseArchiverPhase.Restored or DatabaseArchiverPhase.Archiving, TimeSpan.FromSeconds(60));
        await _node.KillAsync();
        await RestartAsync();

        var second = await _dr.WaitForAsync(Source, db => db.Metadata.Uid != first.Metadata.Uid && db.Status?.Archiver?.Phase == DatabaseArchiverPhase.Archiving, TimeSpan.FromSeconds(60));
        Assert.Equal("Succeeded", second.Status!.Archiver!.Conditions?.SingleOrDefault(c => c.Type == "Restored")?.Reason);
        Same(atBranch, await ReadAsync(restored));
        await CarriesOnAsync(restored, second.Metadata.Uid);
    }

    [Fact]
    public async Task A_node_killed_in_the_middle_of_a_restore_takes_it_up_where_it_stopped_and_the_database_is_restored_exactly()
    {
        var (old, first) = await _dr.FirstDatabaseAsync();
        await WriteAsync(old, "seed", 100);
        await _dr.CliOkAsync("backup", Source.ToString());

        // Rounds archived one by one, so the replay goes over several chunks, about 3,000 entries: it writes a checkpoint
        // every 1,000 (RestoreOptions.BatchSize), so the kill below lands between two.
        for (var round = 0; round < 6; round++)
        {
            await WriteAsync(old, $"round{round}", 400, deleteEvery: 4);
            await _dr.WaitArchivedAsync(await LastWriteAsync(old));
        }

        var branch = await MomentAsync();
        var atBranch = await ReadAsync(old);
        await WriteAsync(old, "damage", 50, deleteEvery: 3);
        await _dr.WaitArchivedAsync(await LastWriteAsync(old));
        await _dr.CliOkAsync("delete", "mongodb", Source.ToString());

        // A slow server, so the replay is caught part way: the node is killed once its first checkpoint is in.
        var restored = await _dr.ReplicaSetAsync("rs1", "src-new");
        _dr.ReplicaSet("rs1").SlowDown("applyOps", TimeSpan.FromMilliseconds(400));
        await _dr.ApplyAsync(Database("src-new", "rs1", recoveryTimeStamp: branch));
        await CheckpointAsync(restored, TimeSpan.FromSeconds(60));
        await _node.KillAsync();
        _dr.ReplicaSet("rs1").SlowDown("applyOps", TimeSpan.Zero);
        var marker = Assert.Single(await RestoreMarker.ListAsync(restored));
        Assert.Equal("running", marker["state"].AsString);

        await RestartAsync();
        var second = await _dr.WaitForAsync(Source, db => db.Metadata.Uid != first.Metadata.Uid && db.Status?.Archiver?.Phase == DatabaseArchiverPhase.Archiving, TimeSpan.FromSeconds(60));
        Assert.Equal("Succeeded", second.Status!.Archiver!.Conditions?.SingleOrDefault(c => c.Type == "Restored")?.Reason);
        Same(atBranch, await ReadAsync(restored));
        Assert.Empty(await RestoreMarker.ListAsync(restored));

        // Taken up, not begun again: the collections it had loaded were not loaded a second time.
        Assert.Equal(1L, await OplogCountAsync(restored, "shop.customers", "c"));
        await CarriesOnAsync(restored, second.Metadata.Uid);
    }

    /// <summary>Waits for the restore's first replay checkpoint in its marker, and returns where it stands.</summary>
    private static async Task<BsonTimestamp> CheckpointAsync(IMongoClient target, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var marker = (await RestoreMarker.ListAsync(target)).SingleOrDefault();
            if (marker?.GetValue("replay", BsonNull.Value) is BsonDocument replay) return replay["appliedTo"].AsBsonTimestamp;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no replay checkpoint within {timeout}: marker {marker?.ToJson() ?? "none"}");
            await Task.Delay(20);
        }
    }

    /// <summary>How many oplog entries of <paramref name="op"/> on <paramref name="ns"/> the replica set has.</summary>
    private static async Task<long> OplogCountAsync(IMongoClient client, string ns, string op) =>
        await client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs")
            .CountDocumentsAsync(new BsonDocument { { "ns", ns.Split('.')[0] + ".$cmd" }, { "op", op }, { "o.create", ns.Split('.')[1] } });

    /// <summary>The first database archived, backed up and written to, then damaged after the moment returned.</summary>
    private async Task<(MongoDB.Driver.IMongoClient Old, Messages.Resources.MongoDB First, DateTimeOffset Branch, Cli.DemoWorkload.Contents AtBranch)> ArchivedAndDamagedAsync()
    {
        var (old, first) = await _dr.FirstDatabaseAsync();
        await WriteAsync(old, "seed", 100);
        await _dr.CliOkAsync("backup", Source.ToString());
        await WriteAsync(old, "round1", 50);
        var branch = await MomentAsync();
        var atBranch = await ReadAsync(old);
        await WriteAsync(old, "damage", 50, deleteEvery: 3);
        await _dr.WaitArchivedAsync(await LastWriteAsync(old));
        return (old, first, branch, atBranch);
    }

    /// <summary>The restored database, written to, is archived on its own timeline, and restorable after the branch.</summary>
    private async Task CarriesOnAsync(MongoDB.Driver.IMongoClient restored, string uid)
    {
        await WriteAsync(restored, "after", 40);
        var afterRestore = await MomentAsync();
        var atAfterRestore = await ReadAsync(restored);
        await WriteAsync(restored, "tail", 10);
        await _dr.WaitArchivedAsync(await LastWriteAsync(restored));

        var own = (await _dr.CatalogAsync()).OwnedBy(uid)!;
        Assert.Equal((2u, 1u), (own.Timeline, own.Record!.Parent!.Value));
        Assert.NotNull(own.Record.ArchiveAfter);
        Same(atAfterRestore, await _dr.RestoreAsync("check", "rs2", afterRestore));
    }

    private async Task RestartAsync()
    {
        await _node.DisposeAsync();
        _node = await NodeProcess.StartAsync(_data, StatusEverySecond);
        _dr.Node = _node.Address;
    }
}
