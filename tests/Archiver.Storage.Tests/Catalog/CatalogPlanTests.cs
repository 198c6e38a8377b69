using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using static Archiver.Storage.Tests.Support.History;

namespace Archiver.Storage.Tests.Catalog;

public sealed class CatalogPlanTests
{
    private static readonly DateTimeOffset Now = At(1_000_000);

    [Fact]
    public void A_target_inside_a_window_gets_the_newest_backup_before_it_and_the_chunks_up_to_it_in_order()
    {
        var catalog = NewCatalog(Chunks(100, 999, 60, 0), Backup("b1", 150), Backup("b2", 400), Backup("b3", 800));

        var plan = catalog.PlanRestore(RecoveryTarget.AtTime(At(530)), Now).Plan!;

        Assert.Equal("b2", plan.BaseBackup.Id);
        var chunks = plan.Components.Single().Chunks;
        Assert.Equal([(400u, 459u), (460u, 519u), (520u, 579u)], chunks.Select(c => (c.Range.First.Seconds, c.Range.Last.Seconds)));
        Assert.Equal(1_000 + (3 * 100), plan.BytesToRead);
        Assert.All(chunks, c => Assert.Equal(RepoLayout.ChunkKey("rs0", 1, c.Range), c.Key));
    }

    [Fact]
    public void A_target_exactly_at_a_consistent_point_needs_no_oplog()
    {
        var catalog = NewCatalog(Chunks(100, 999, 60, 0), Backup("b1", 459));

        var plan = catalog.PlanRestore(RecoveryTarget.AtTs(Ts(459)), Now).Plan!;

        Assert.Empty(plan.Components.Single().Chunks);
    }

    [Fact]
    public void Duplicate_and_overlapping_chunks_never_break_the_chain()
    {
        // The same ranges written twice (crash before the index was updated), one chunk re-cut with another
        // boundary, and two chunks sharing an end: the known WAL-G failure.
        var chunks = Chunks(100, 999, 60, 0)
            .Concat(Chunks(100, 999, 60, 0))
            .Append(Chunk(130, 200, 129))
            .Append(Chunk(500, 579, 499));
        var catalog = NewCatalog(chunks, Backup("b1", 150));

        var plan = catalog.PlanRestore(RecoveryTarget.AtTime(At(990)), Now).Plan!;
        var windows = catalog.Timeline(1).Windows();

        Assert.Equal(new[] { At(150), At(999) }, new[] { windows.Single().From, windows.Single().To });
        var chain = plan.Components.Single().Chunks.Select(c => c.Range).ToList();
        Assert.True(chain.Zip(chain.Skip(1)).All(p => p.Second.Previous <= p.First.Last && p.Second.Last > p.First.Last));
        Assert.Equal(999u, chain[^1].Last.Seconds);
    }

    [Fact]
    public void A_sharded_clusters_window_ends_where_the_first_replica_sets_archive_ends_and_a_gap_names_its_replica_set()
    {
        // A cluster of a config server and two shards; shard1's archiver was down while its oplog rolled over (520..579).
        var catalog = new RepositoryCatalog(RepoLayout);
        foreach (var component in (string[])["configRepl", "shard0"])
        {
            foreach (var chunk in Chunks(100, 999, 60, 0)) catalog.Timeline(1).AddChunk(component, chunk);
        }

        foreach (var chunk in Chunks(100, 519, 60, 0).Concat(Chunks(580, 999, 60, 579))) catalog.Timeline(1).AddChunk("shard1", chunk);
        catalog.AddBackup(Backup("b1", 150, components: ["configRepl", "shard0", "shard1"]) with { ConfigServer = "configRepl" });

        var window = catalog.Timeline(1).Windows().Single();
        var inside = catalog.PlanRestore(RecoveryTarget.AtTime(At(600)), Now).Refusal!;
        var before = catalog.PlanRestore(RecoveryTarget.AtTime(At(500)), Now).Plan!;

        Assert.Equal((At(150), At(519)), (window.From, window.To));
        Assert.Equal("shard1", window.LimitedBy);
        Assert.Equal(RefusalReason.InsideGap, inside.Reason);
        Assert.Contains("gap of the archived oplog of shard1", inside.Message, StringComparison.Ordinal);
        Assert.Contains("needs every replica set's archive", inside.Message, StringComparison.Ordinal);
        Assert.Equal(["configRepl", "shard0", "shard1"], before.Segments.Select(s => s.Component));
        Assert.Contains(catalog.Timeline(1).Components["shard1"].Gaps(), g => g.After == Ts(519) && g.BeforeWallUnixMs == 580_000);
    }

    [Fact]
    public void A_sharded_backups_window_ends_where_a_shard_it_does_not_hold_joined_the_cluster()
    {
        // shard2 was added at 600 (its archive begins there); shard9 was removed at 300, its data moved off before.
        var catalog = new RepositoryCatalog(RepoLayout);
        foreach (var component in (string[])["configRepl", "shard0", "shard1"])
        {
            foreach (var chunk in Chunks(100, 999, 60, 0)) catalog.Timeline(1).AddChunk(component, chunk);
        }

        foreach (var chunk in Chunks(600, 999, 60, 0)) catalog.Timeline(1).AddChunk("shard2", chunk);
        foreach (var chunk in Chunks(100, 299, 60, 0)) catalog.Timeline(1).AddChunk("shard9", chunk);
        catalog.AddBackup(Backup("b1", 350, components: ["configRepl", "shard0", "shard1"]) with { ConfigServer = "configRepl" });
        catalog.AddBackup(Backup("b2", 800, components: ["configRepl", "shard0", "shard1", "shard2"]) with { ConfigServer = "configRepl" });

        var windows = catalog.Timeline(1).Windows();
        var before = catalog.PlanRestore(RecoveryTarget.AtTime(At(550)), Now).Plan!;
        var after = catalog.PlanRestore(RecoveryTarget.AtTime(At(650)), Now).Refusal!;
        var later = catalog.PlanRestore(RecoveryTarget.AtTime(At(850)), Now).Plan!;

        Assert.Equal("shard2", windows[0].JoinedBy);
        Assert.True(windows[0].To < At(600), $"{windows[0].To:O}");
        Assert.True(windows[0].To >= At(599), $"{windows[0].To:O}");
        Assert.Null(windows[1].JoinedBy);
        Assert.Equal(At(999), windows[1].To);
        Assert.Equal(["configRepl", "shard0", "shard1"], before.Segments.Select(s => s.Component));
        Assert.Equal(RefusalReason.InsideGap, after.Reason);
        Assert.Contains("after replica set shard2 joined the cluster", after.Message, StringComparison.Ordinal);
        Assert.Contains("from backup b2 on", after.Message, StringComparison.Ordinal);
        Assert.Equal(["configRepl", "shard0", "shard1", "shard2"], later.Segments.Select(s => s.Component));
    }

    [Fact]
    public void A_sharded_backups_window_is_its_own_point_when_a_shard_it_does_not_hold_was_archived_from_before_it()
    {
        // shard2's replica set was archived from its oplog's start (200), older than the backup; when it joined is not in
        // the catalog, only that it is part of the cluster after the backup.
        var catalog = new RepositoryCatalog(RepoLayout);
        foreach (var component in (string[])["configRepl", "shard0", "shard1"])
        {
            foreach (var chunk in Chunks(100, 999, 60, 0)) catalog.Timeline(1).AddChunk(component, chunk);
        }

        foreach (var chunk in Chunks(200, 999, 60, 0)) catalog.Timeline(1).AddChunk("shard2", chunk);
        catalog.AddBackup(Backup("b1", 350, components: ["configRepl", "shard0", "shard1"]) with { ConfigServer = "configRepl" });

        var window = catalog.Timeline(1).Windows().Single();
        var after = catalog.PlanRestore(RecoveryTarget.AtTime(At(500)), Now).Refusal!;

        Assert.Equal("shard2", window.JoinedBy);
        Assert.Equal((At(350), At(350)), (window.From, window.To));
        Assert.Contains("after replica set shard2 joined the cluster", after.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sharded_plan_reads_past_the_target_for_the_commits_of_transactions_prepared_before_it()
    {
        var catalog = new RepositoryCatalog(RepoLayout);
        foreach (var component in (string[])["configRepl", "shard0"])
        {
            foreach (var chunk in Chunks(100, 999, 10, 0)) catalog.Timeline(1).AddChunk(component, chunk);
        }

        catalog.AddBackup(Backup("b1", 150, components: ["configRepl", "shard0"]) with { ConfigServer = "configRepl" });

        var plan = catalog.PlanRestore(RecoveryTarget.AtTime(At(500)), Now).Plan!;

        // Up to the target, then the chunks of TimelineCatalog.ShardedLookahead (60 s) after it.
        Assert.All(plan.Segments, s => Assert.Equal(560u, s.Chunks[^1].Range.First.Seconds));
    }

    [Fact]
    public void A_gap_in_the_middle_splits_the_windows_and_a_target_inside_it_is_refused_with_both_edges()
    {
        // Seconds 500..559 were never archived: the chunk after them records 559 as its predecessor.
        var catalog = NewCatalog(Chunks(100, 499, 60, 0).Concat(Chunks(560, 999, 60, 559)), Backup("b1", 150), Backup("b2", 700));

        var inside = catalog.PlanRestore(RecoveryTarget.AtTime(At(600)), Now).Refusal!;
        var before = catalog.PlanRestore(RecoveryTarget.AtTime(At(499)), Now);
        var after = catalog.PlanRestore(RecoveryTarget.AtTime(At(701)), Now);

        Assert.Equal(RefusalReason.InsideGap, inside.Reason);
        Assert.Equal((At(499), At(700)), (inside.GapStart!.Value, inside.GapEnd!.Value));
        Assert.Contains("b2", inside.Message, StringComparison.Ordinal);
        Assert.Equal("b1", before.Plan!.BaseBackup.Id);
        Assert.Equal("b2", after.Plan!.BaseBackup.Id);
        Assert.Equal([(At(150), At(499)), (At(700), At(999))], catalog.Timeline(1).MergedWindows().Select(w => (w.From, w.To)));
        Assert.Single(catalog.Timeline(1).Component("rs0").Gaps());
    }

    [Fact]
    public void A_gap_with_no_backup_after_it_says_a_new_backup_is_needed()
    {
        var catalog = NewCatalog(Chunks(100, 499, 60, 0).Concat(Chunks(560, 999, 60, 559)), Backup("b1", 150));

        var refusal = catalog.PlanRestore(RecoveryTarget.AtTime(At(800)), Now).Refusal!;

        Assert.Equal(RefusalReason.InsideGap, refusal.Reason);
        Assert.Null(refusal.GapEnd);
        Assert.Contains("take a new full backup", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Targets_outside_every_window_are_refused_with_the_precise_reason()
    {
        var catalog = NewCatalog(Chunks(100, 999, 60, 0), Backup("b1", 150), Backup("failed", 120, BackupStatus.Failed));

        Assert.Equal(RefusalReason.BeforeFirstBackup, catalog.PlanRestore(RecoveryTarget.AtTime(At(149)), Now).Refusal!.Reason);
        Assert.Equal(At(150), catalog.PlanRestore(RecoveryTarget.AtTime(At(149)), Now).Refusal!.EarliestRecoverable);
        var late = catalog.PlanRestore(RecoveryTarget.AtTime(At(1_500)), Now).Refusal!;
        Assert.Equal((RefusalReason.AfterLastArchivedEntry, At(999)), (late.Reason, late.LatestRecoverable!.Value));
        Assert.Equal(RefusalReason.InFuture, catalog.PlanRestore(RecoveryTarget.AtTime(Now.AddMilliseconds(1)), Now).Refusal!.Reason);
        Assert.Equal(RefusalReason.InFuture, catalog.PlanRestore(RecoveryTarget.AtTs(Ts(1_000_001)), Now).Refusal!.Reason);
        Assert.Equal(RefusalReason.AfterLastArchivedEntry, catalog.PlanRestore(RecoveryTarget.AtTs(Ts(1_000)), Now).Refusal!.Reason);
        Assert.Equal(RefusalReason.NoBackup, NewCatalog(Chunks(100, 999, 60, 0), Backup("f", 150, BackupStatus.Failed)).PlanRestore(RecoveryTarget.AtTime(At(500)), Now).Refusal!.Reason);
    }

    [Fact]
    public void An_idle_period_is_covered_only_once_a_later_archived_entry_proves_it()
    {
        var catalog = NewCatalog(Chunks(100, 200, 50, 0), Backup("b1", 120));

        var beforeProof = catalog.PlanRestore(RecoveryTarget.AtTime(At(1_000)), Now);
        catalog.Timeline(1).AddChunk("rs0", Chunk(3_700, 3_700, 200));
        var afterProof = catalog.PlanRestore(RecoveryTarget.AtTime(At(1_000)), Now);

        Assert.Equal(RefusalReason.AfterLastArchivedEntry, beforeProof.Refusal!.Reason);
        Assert.True(afterProof.IsPossible);
    }

    [Fact]
    public void A_backup_of_several_components_is_recoverable_only_as_far_as_all_of_them()
    {
        var catalog = new RepositoryCatalog(RepoLayout);
        foreach (var chunk in Chunks(100, 999, 60, 0))
        {
            catalog.Timeline(1).AddChunk("shard-a", chunk);
        }

        foreach (var chunk in Chunks(100, 700, 60, 0))
        {
            catalog.Timeline(1).AddChunk("shard-b", chunk);
        }

        var backup = Backup("b1", 150, components: ["shard-a", "shard-b"]);
        catalog.AddBackup(backup);

        Assert.Equal(At(700), catalog.Timeline(1).WindowOf(backup).To);
        Assert.Equal(2, catalog.PlanRestore(RecoveryTarget.AtTime(At(650)), Now).Plan!.Components.Count);
        Assert.Equal(RefusalReason.AfterLastArchivedEntry, catalog.PlanRestore(RecoveryTarget.AtTime(At(800)), Now).Refusal!.Reason);
    }

    [Fact]
    public void Without_a_timeline_the_newest_one_that_reaches_the_target_is_chosen()
    {
        var catalog = NewCatalog(Chunks(100, 999, 60, 0), Backup("b1", 150));
        foreach (var chunk in Chunks(600, 2_000, 60, 0))
        {
            catalog.Timeline(2).AddChunk("rs0", chunk);
        }

        catalog.AddBackup(Backup("t2", 610, timeline: 2));

        Assert.Equal(2u, catalog.PlanRestore(RecoveryTarget.AtTime(At(700)), Now).Plan!.Timeline);
        Assert.Equal(1u, catalog.PlanRestore(RecoveryTarget.AtTime(At(300)), Now).Plan!.Timeline);
        Assert.Equal(1u, catalog.PlanRestore(RecoveryTarget.AtTime(At(700)), Now, timeline: 1).Plan!.Timeline);
    }

    [Fact]
    public void A_backup_taken_during_writes_replays_from_its_T0_and_is_recoverable_from_its_T1()
    {
        var catalog = NewCatalog(Chunks(100, 999, 60, 0), LiveBackup("live", 130, 300));

        var plan = catalog.PlanRestore(RecoveryTarget.AtTime(At(400)), Now).Plan!;
        var window = catalog.Timeline(1).Windows().Single();

        Assert.Equal((At(300), At(999)), (window.From, window.To));
        Assert.Equal(100u, plan.Components.Single().Chunks[0].Range.First.Seconds);
        Assert.Equal(RefusalReason.BeforeFirstBackup, catalog.PlanRestore(RecoveryTarget.AtTime(At(200)), Now).Refusal!.Reason);
    }

    [Fact]
    public void A_backup_taken_during_writes_without_the_oplog_from_its_T0_is_never_a_base()
    {
        // The oplog between 200 and 259 is missing: the live backup (T0 = 150) cannot be made consistent.
        var catalog = NewCatalog(Chunks(100, 199, 50, 0).Concat(Chunks(260, 999, 60, 259)), Backup("old", 120), LiveBackup("live", 150, 300));

        var inWindowOfOld = catalog.PlanRestore(RecoveryTarget.AtTime(At(190)), Now);
        var afterLive = catalog.PlanRestore(RecoveryTarget.AtTime(At(500)), Now).Refusal!;

        Assert.Equal("old", inWindowOfOld.Plan!.BaseBackup.Id);
        Assert.Equal(RefusalReason.InsideGap, afterLive.Reason);
        Assert.Equal(["old"], catalog.Timeline(1).Windows().Select(w => w.BackupId));
    }

    [Fact]
    public void Keys_under_the_oplog_folder_that_are_not_chunks_are_reported()
    {
        var catalog = new RepositoryCatalog(RepoLayout);

        Assert.True(catalog.AddChunkObject(RepoLayout.ChunkKey("rs0", 3, Chunk(1, 2, 0)), 10));
        Assert.False(catalog.AddChunkObject(RepoLayout.OplogRoot + "rs0/00000003/oplog_1.lz4", 10));

        Assert.Single(catalog.UnrecognizedKeys);
        Assert.Equal(1, catalog.Timeline(3).Component("rs0").ChunkCount);
    }
}
