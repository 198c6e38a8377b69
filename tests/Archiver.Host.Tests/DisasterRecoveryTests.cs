using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using static Archiver.Host.Tests.DisasterRecoveryScenario;

namespace Archiver.Host.Tests;

/// <summary>
/// Disaster recovery under the same name, as a KubeDB user does it on the embedded node: the broken database is
/// deleted, created again under its name with <c>spec.init.archiver</c> pointing before the damage, and carries on.
/// The restored database must be archived on its own timeline from its restore target on, its backups must work,
/// and every later restore must come from the right lineage.
/// </summary>
public sealed class DisasterRecoveryTests() : ScenarioNodeTests("dr")
{
    [Fact]
    public async Task A_database_deleted_and_restored_under_its_name_is_archived_on_its_own_timeline_and_every_restore_comes_from_the_right_lineage()
    {
        // The first database, on replica set rs0: archived, backed up, written to in two rounds, the second one the damage.
        var (old, first) = await Scenario.FirstDatabaseAsync();
        await WriteAsync(old, "seed", 200);
        await Scenario.CliOkAsync("backup", Source.ToString());
        await WriteAsync(old, "before", 50);
        var beforeBranch = await MomentAsync();
        var atBeforeBranch = await ReadAsync(old);
        await WriteAsync(old, "round1", 50);
        var branch = await MomentAsync();
        var atBranch = await ReadAsync(old);
        await WriteAsync(old, "damage", 80, deleteEvery: 3);
        await Scenario.WaitArchivedAsync(await LastWriteAsync(old));
        // The plan a restore to the branch point would run, every chunk named, as `archiver plan` prints it.
        var printed = (await Scenario.CliOkAsync("plan", Source.ToString(), "--at", Format(branch), "-o", "json")).Output;

        // Delete it. Its replica set lives on (another team's, or not yet torn down) and is written to.
        await Scenario.CliOkAsync("delete", "mongodb", Source.ToString());
        var deletedAt = DateTimeOffset.UtcNow;
        await WriteAsync(old, "ghost", 40);

        // The same name again, restored to the moment before the damage, as the design writes it (no prefix given), on
        // a new replica set with the same replica-set name, as KubeDB makes it from the same spec.
        var restored = await Scenario.ReplicaSetAsync("rs0", "src-new");
        await Scenario.ApplyAsync(Database("src-new", "rs0", recoveryTimeStamp: branch));
        var second = await Scenario.WaitForAsync(Source, db => db.Metadata.Uid != first.Metadata.Uid && db.Status?.Archiver?.Phase == DatabaseArchiverPhase.Archiving, TimeSpan.FromSeconds(60));
        Same(atBranch, await ReadAsync(restored));
        // The restore recorded, and ran, the very plan `archiver plan` printed for its target: one plan, byte for byte.
        Assert.Equal(printed.TrimEnd('\n'), await Scenario.RecordedPlanAsync(Source));
        Assert.Contains($"\"target\": \"{Format(branch)}\"", printed, StringComparison.Ordinal);

        // It carries on, is backed up, and carries on again.
        await WriteAsync(restored, "after", 60);
        var afterRestore = await MomentAsync();
        var atAfterRestore = await ReadAsync(restored);
        await WriteAsync(restored, "more", 40, deleteEvery: 4);
        await Scenario.CliOkAsync("backup", Source.ToString());
        await WriteAsync(restored, "latest", 30);
        var afterOwnBackup = await MomentAsync();
        var atAfterOwnBackup = await ReadAsync(restored);
        await WriteAsync(restored, "tail", 10);
        await Scenario.WaitArchivedAsync(await LastWriteAsync(restored));

        // Two timelines, side by side: the old database's and the restored one's, branched at the restore target.
        var windows = await Scenario.CliOkAsync("windows", Source.ToString());
        Assert.Matches(@"timeline 1\s", windows.Output);
        Assert.Matches(@"timeline 2\s", windows.Output);
        Assert.Matches(@"\n2\s+timeline 1 up to \S+, then its own\s+this one", windows.Output);
        var catalog = await Scenario.CatalogAsync();
        var own = catalog.OwnedBy(second.Metadata.Uid)!;
        Assert.Equal((2u, 1u), (own.Timeline, own.Record!.Parent!.Value));
        Assert.Equal(["rs0"], own.Components.Keys);

        // Nothing the old replica set wrote after its database was deleted reached the repository.
        Assert.True(catalog.Timeline(1).Component("rs0").LastWallUnixMs <= deletedAt.ToUnixTimeMilliseconds(), "the deleted database's stream went on");

        // The plan says which timeline a target falls on.
        Assert.Contains("timeline 2", (await Scenario.CliOkAsync("plan", Source.ToString(), "--at", Format(afterRestore))).Output, StringComparison.Ordinal);
        Assert.Contains("timeline 1", (await Scenario.CliOkAsync("plan", Source.ToString(), "--at", Format(beforeBranch))).Output, StringComparison.Ordinal);

        // After the branch, before the restored database's own backup: the old backup, the old oplog up to the branch, the new oplog.
        Same(atAfterRestore, await Scenario.RestoreAsync("check-1", "rs2", afterRestore));
        // After its own backup.
        Same(atAfterOwnBackup, await Scenario.RestoreAsync("check-2", "rs3", afterOwnBackup));
        // Before the branch: the old lineage, and never anything of the new one.
        Same(atBeforeBranch, await Scenario.RestoreAsync("check-3", "rs4", beforeBranch));

        // Its status is about its own replica set and its own lineage.
        var status = (await Scenario.GetAsync(Source))!.Status!.Archiver!;
        Assert.Equal(DatabaseArchiverPhase.Archiving, status.Phase);
        // Reported by its own archiver (the headroom of a young oplog written in bursts may well look low: not the point here).
        Assert.Contains(status.Conditions!, c => c.Type == "Archiving" && c.Reason is "Healthy" or "HeadroomLow" or "LagTooHigh");
        Assert.NotNull(status.Lag);
        Assert.True(status.RecoverableWindows!.Min(w => w.Start) < beforeBranch, "the lineage's windows start at the old database's backup");
        Assert.True(status.RecoverableWindows!.Max(w => w.End) >= afterOwnBackup);
    }

    [Fact]
    public async Task A_database_restored_into_a_new_name_is_archived_under_its_own_prefix_from_its_restore_target_on()
    {
        var (source, _) = await Scenario.FirstDatabaseAsync();
        await WriteAsync(source, "seed", 100);
        await Scenario.CliOkAsync("backup", Source.ToString());
        await WriteAsync(source, "round1", 40);
        var target = await MomentAsync();
        var atTarget = await ReadAsync(source);
        await WriteAsync(source, "round2", 40, deleteEvery: 2);
        await Scenario.WaitArchivedAsync(await LastWriteAsync(source));

        // A copy under another name, selected by the same archiver (its label), restored from the source's history.
        var copy = new ResourceId("demo", "copy");
        var copied = await Scenario.ReplicaSetAsync("rs1", "copy");
        await Scenario.ApplyAsync(Database("copy", "rs1", recoveryTimeStamp: target).Replace($"name: {Source.Name}\n", $"name: {copy.Name}\n", StringComparison.Ordinal)
            + "\n      prefix: db/MongoDB/demo/src\n");
        var restored = await Scenario.WaitForAsync(copy, db => db.Status?.Archiver?.Phase == DatabaseArchiverPhase.Archiving, TimeSpan.FromSeconds(60));
        Same(atTarget, await ReadAsync(copied));
        await WriteAsync(copied, "copy-1", 30);
        var afterRestore = await MomentAsync();
        var atAfterRestore = await ReadAsync(copied);
        await WriteAsync(copied, "copy-2", 30, deleteEvery: 3);
        await WriteAsync(source, "round3", 10);
        await Scenario.WaitForAsync(copy, db => db.Status?.Archiver?.RecoverableWindows is { Count: > 0 } w && w.Max(x => x.End) > afterRestore);

        // Its own prefix, timeline 1, continuing the source's timeline 1 from the branch point: no gap (its oplog starts
        // exactly where the restore ended) and no overlap (nothing the restore wrote is archived again).
        var catalog = await RepositoryCatalogOf("db/MongoDB/demo/copy");
        var own = catalog.OwnedBy(restored.Metadata.Uid)!;
        Assert.Equal((1u, 1u, "db/MongoDB/demo/src"), (own.Timeline, own.Record!.Parent!.Value, own.Record.ParentPrefix));
        var first = own.Component("rs1").Runs[0];
        Assert.Equal(own.Record.ArchiveAfter, first.From);
        Assert.True(first.FromWallUnixMs > target.ToUnixTimeMilliseconds());

        // Restorable after its branch before any backup of its own (the source's backup, then both oplogs), and its
        // status shows its lineage from the source's backup on.
        Same(atAfterRestore, await Scenario.RestoreAsync("check-copy", "rs2", afterRestore, copy));
        var windows = (await Scenario.GetAsync(copy))!.Status!.Archiver!.RecoverableWindows!;
        Assert.True(windows.Min(w => w.Start) < target);
        // The source goes on as before, on its own timeline.
        Assert.Equal([1u], (await Scenario.CatalogAsync()).Timelines.Select(t => t.Timeline));
    }

    [Fact]
    public async Task A_database_created_again_under_a_deleted_ones_name_without_a_restore_is_blocked_not_archived_into_the_old_history()
    {
        var (old, first) = await Scenario.FirstDatabaseAsync();
        await WriteAsync(old, "seed", 20);
        await Scenario.WaitArchivedOplogAsync(await LastWriteAsync(old));
        await Scenario.CliOkAsync("delete", "mongodb", Source.ToString());

        var other = await Scenario.ReplicaSetAsync("rs1", "src-new");
        await Scenario.ApplyAsync(Database("src-new", "rs1"));
        await WriteAsync(other, "new", 20);
        var blocked = await Scenario.WaitForAsync(Source, db => db.Metadata.Uid != first.Metadata.Uid && db.Status?.Archiver?.Phase == DatabaseArchiverPhase.Blocked);

        var condition = blocked.Status!.Archiver!.Conditions!.Single(c => c.Type == "Archiving");
        Assert.Equal((ConditionStatus.False, "ForeignHistory"), (condition.Status, condition.Reason));
        Assert.Contains($"already holds the history of database {first.Metadata.Uid}", condition.Message, StringComparison.Ordinal);
        Assert.Contains("spec.init.archiver", condition.Message, StringComparison.Ordinal);
        var catalog = await Scenario.CatalogAsync();
        Assert.Equal([1u], catalog.Timelines.Select(t => t.Timeline));
        Assert.Equal(["rs0"], catalog.Timeline(1).Components.Keys);
    }

    private Task<Storage.Catalog.RepositoryCatalog> RepositoryCatalogOf(string prefix) =>
        Storage.Catalog.RepositoryCatalog.LoadAsync(new Storage.Backends.LocalFolderStore(Path.Combine(Scenario.Data, "backups")), new Storage.Layout.RepositoryLayout(prefix));

    [Fact]
    public async Task After_an_archiver_is_deleted_with_WipeOut_neither_the_status_nor_archiver_windows_offer_a_window()
    {
        var archiver = (await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "examples", "embedded", "archiver.yaml")))
            .Replace("  deletionPolicy: Delete", "  deletionPolicy: WipeOut", StringComparison.Ordinal);
        Assert.Contains("deletionPolicy: WipeOut", archiver, StringComparison.Ordinal);
        await Scenario.ApplyAsync(archiver);
        var (source, _) = await Scenario.FirstDatabaseAsync();
        await WriteAsync(source, "seed", 20);
        await Scenario.CliOkAsync("backup", Source.ToString());
        await Scenario.WaitArchivedAsync(await LastWriteAsync(source));

        await Scenario.CliOkAsync("delete", "mongodbarchiver", "demo/archiver-demo");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await Node.Store.GetAsync<MongoDBArchiver>(new ResourceId("demo", "archiver-demo")) is not null && DateTime.UtcNow < deadline) await Task.Delay(100);

        var folder = Path.Combine(Scenario.Data, "backups", "db", "MongoDB", Source.Namespace, Source.Name);
        Assert.Empty(Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories) : []);
        var status = (await Scenario.GetAsync(Source))!.Status!.Archiver!;
        Assert.Equal(DatabaseArchiverPhase.Disabled, status.Phase);
        Assert.Empty(status.RecoverableWindows ?? []);
        var windows = await Scenario.CliAsync("windows", Source.ToString());
        Assert.NotEqual(0, windows.ExitCode);
        Assert.Contains("no archived history", windows.Error, StringComparison.Ordinal);
    }
}
