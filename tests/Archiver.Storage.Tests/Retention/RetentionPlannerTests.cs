using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Retention;
using static Archiver.Storage.Tests.Support.History;

namespace Archiver.Storage.Tests.Retention;

public sealed class RetentionPlannerTests
{
    [Fact]
    public void The_last_successful_and_failed_backups_are_kept_and_only_what_older_ones_needed_goes()
    {
        var catalog = NewCatalog(
            Chunks(100, 999, 100, 0),
            Backup("b1", 150),
            Backup("f1", 160, BackupStatus.Failed),
            Backup("b2", 450),
            Backup("f2", 460, BackupStatus.Failed),
            Backup("b3", 750));

        var plan = RetentionPlanner.Plan(catalog, new RetentionRules { KeepLastSucceeded = 2, KeepLastFailed = 1 }, At(2_000));

        Assert.Equal(["b3", "f2", "b2"], plan.KeptBackups.Select(k => k.Backup.Id));
        Assert.Equal(["f1", "b1"], plan.BackupsToDelete.Select(b => b.Id));
        Assert.Equal([(100u, 199u), (200u, 299u), (300u, 399u)], plan.ChunksToDelete.Select(c => (c.Range.First.Seconds, c.Range.Last.Seconds)));
    }

    [Fact]
    public void The_newest_backup_before_the_retention_period_is_kept_because_it_starts_the_kept_chain()
    {
        var catalog = NewCatalog(Chunks(100, 999, 50, 0), Backup("b1", 150), Backup("b2", 400), Backup("b3", 800));

        var plan = RetentionPlanner.Plan(
            catalog, new RetentionRules { KeepLastSucceeded = 1, KeepLastFailed = 0, MaxRetentionPeriod = TimeSpan.FromSeconds(400) }, At(1_000));

        Assert.Equal(["b3", "b2"], plan.KeptBackups.Select(k => k.Backup.Id));
        Assert.Equal([RetentionReason.StartsAKeptChain], plan.KeptBackups.Single(k => k.Backup.Id == "b2").Reasons);
        Assert.All(plan.ChunksToDelete, c => Assert.True(c.Range.Last.Seconds < 400));
    }

    [Fact]
    public void Chunks_after_the_newest_backup_are_never_deleted_even_across_a_gap()
    {
        var catalog = NewCatalog(Chunks(100, 499, 100, 0).Concat(Chunks(600, 999, 100, 599)), Backup("b1", 150));

        var plan = RetentionPlanner.Plan(catalog, new RetentionRules { KeepLastSucceeded = 1 }, At(2_000));

        Assert.Empty(plan.ChunksToDelete);
    }

    [Fact]
    public void The_oplog_a_backup_taken_during_writes_needs_from_its_T0_is_kept()
    {
        var catalog = NewCatalog(Chunks(100, 999, 100, 0), Backup("b1", 120), LiveBackup("live", 250, 450));

        var plan = RetentionPlanner.Plan(catalog, new RetentionRules { KeepLastSucceeded = 1, KeepLastFailed = 0 }, At(2_000));

        Assert.Equal(["live"], plan.KeptBackups.Select(k => k.Backup.Id));
        Assert.Equal([(100u, 199u)], plan.ChunksToDelete.Select(c => (c.Range.First.Seconds, c.Range.Last.Seconds)));
    }

    [Fact]
    public void Keeping_no_successful_backup_is_refused()
    {
        var catalog = NewCatalog(Chunks(100, 199, 100, 0), Backup("b1", 150));

        Assert.Throws<ArgumentOutOfRangeException>(() => RetentionPlanner.Plan(catalog, new RetentionRules { KeepLastSucceeded = 0 }, At(2_000)));
    }

    [Fact]
    public void Duplicate_chunks_inside_a_kept_window_are_kept_and_those_before_it_go()
    {
        var chunks = Chunks(100, 999, 100, 0).Concat(Chunks(100, 999, 100, 0)).Append(Chunk(150, 250, 149));
        var catalog = NewCatalog(chunks, Backup("b1", 120), Backup("b2", 500));

        var plan = RetentionPlanner.Plan(catalog, new RetentionRules { KeepLastSucceeded = 1 }, At(2_000));
        var after = Without(catalog, plan);

        Assert.Equal(9, plan.ChunksToDelete.Count);
        Assert.Equal(catalog.Timeline(1).WindowOf(catalog.Timeline(1).SucceededBackups[1]), after.Timeline(1).Windows().Single());
    }

    [Fact]
    public void A_timeline_a_restore_replaced_loses_all_its_oplog_once_no_kept_backup_is_on_it()
    {
        var catalog = Replaced(Backup("c1", 5_300, timeline: 2), Backup("c2", 5_600, timeline: 2), Backup("c3", 5_900, timeline: 2));
        var unrelated = NewCatalog(Chunks(100, 999, 100, 0), Backup("b1", 150));
        unrelated.AddChunks(2, Chunks(5_001, 5_999, 100, 5_000));
        foreach (var backup in catalog.Timeline(2).Backups)
        {
            unrelated.AddBackup(backup);
        }

        var plan = RetentionPlanner.Plan(catalog, new RetentionRules { KeepLastSucceeded = 3 }, At(10_000));
        var withoutBranch = RetentionPlanner.Plan(unrelated, new RetentionRules { KeepLastSucceeded = 3 }, At(10_000));

        Assert.Equal(["c3", "c2", "c1"], plan.KeptBackups.Select(k => k.Backup.Id));
        Assert.Equal(["b1"], plan.BackupsToDelete.Select(b => b.Id));
        // Nothing more comes after b1 on the closed timeline: its tail (past b1 and past the branch) goes with it.
        Assert.Equal(catalog.Timeline(1).Component("rs0").ChunkCount, plan.ChunksToDelete.Count(c => c.Timeline == 1));
        // A timeline nobody branched from may still be written: its chunks after its last backup are its live edge.
        Assert.DoesNotContain(withoutBranch.ChunksToDelete, c => c.Timeline == 1);
        Assert.Equal(catalog.Timeline(2).Windows(), Without(catalog, plan).Timeline(2).Windows());
    }

    [Fact]
    public void While_the_replaced_timelines_backup_is_kept_the_oplog_it_needs_stays()
    {
        var catalog = Replaced(Backup("c1", 5_300, timeline: 2), Backup("c2", 5_600, timeline: 2));

        var plan = RetentionPlanner.Plan(catalog, new RetentionRules { KeepLastSucceeded = 3 }, At(10_000));
        var after = Without(catalog, plan);

        Assert.Contains("b1", plan.KeptBackups.Select(k => k.Backup.Id));
        Assert.DoesNotContain(plan.ChunksToDelete, c => c.Timeline == 1);
        Assert.Equal(catalog.Timeline(1).Windows(), after.Timeline(1).Windows());
    }

    [Fact]
    public void The_branchs_oplog_a_kept_parent_backup_replays_across_the_branch_stays()
    {
        // b1 is kept, and the branch is recoverable from it (across the branch point) up to the branch's first backup.
        var catalog = Replaced(Backup("c1", 5_300, timeline: 2), Backup("c2", 5_600, timeline: 2));

        var plan = RetentionPlanner.Plan(catalog, new RetentionRules { KeepLastSucceeded = 3 }, At(10_000));
        var after = Without(catalog, plan);

        Assert.Contains("b1", plan.KeptBackups.Select(k => k.Backup.Id));
        Assert.DoesNotContain(plan.ChunksToDelete, c => c.Timeline == 2);
        Assert.Equal(catalog.LineageWindows(2), after.LineageWindows(2));
        Assert.True(after.PlanRestore(RecoveryTarget.AtTime(At(5_250)), At(10_000)).IsPossible);
    }

    [Fact]
    public void Every_point_of_a_branch_inside_the_retention_period_stays_recoverable_through_its_parents_backup()
    {
        // The period starts at 5200 s, before the branch's first backup (5500): those targets need b1, however old.
        var catalog = Replaced(Backup("c1", 5_500, timeline: 2));
        var now = At(6_000);

        var plan = RetentionPlanner.Plan(catalog, new RetentionRules { KeepLastSucceeded = 1, MaxRetentionPeriod = TimeSpan.FromSeconds(800) }, now);
        var after = Without(catalog, plan);

        Assert.Equal([RetentionReason.StartsAKeptChain], Assert.Single(plan.KeptBackups, k => k.Backup.Id == "b1").Reasons);
        for (var t = 5_200; t <= 5_999; t += 25)
        {
            Assert.True(after.PlanRestore(RecoveryTarget.AtTime(At(t)), now).IsPossible, $"second {t} is inside the retention period");
        }
    }

    /// <summary>
    /// Timeline 1 (seconds 100..999, backup b1 at 150) was replaced by a restore up to 450: timeline 2 archives the
    /// restored replica set from 5000 on (5001..5999).
    /// </summary>
    private static RepositoryCatalog Replaced(params BackupManifest[] branchBackups)
    {
        var catalog = NewCatalog(Chunks(100, 999, 100, 0), [Backup("b1", 150), .. branchBackups]);
        catalog.AddTimelineRecord(FirstTimeline());
        catalog.AddTimelineRecord(BranchRecord(2, 1, 450, 450, 5_000));
        catalog.AddChunks(2, Chunks(5_001, 5_999, 100, 5_000));
        return catalog;
    }

    internal static RepositoryCatalog Without(RepositoryCatalog catalog, RetentionPlan plan)
    {
        var deleted = plan.KeysToDelete().ToHashSet(StringComparer.Ordinal);
        var result = new RepositoryCatalog(catalog.Layout);
        foreach (var timeline in catalog.Timelines)
        {
            if (timeline.Record is { } record)
            {
                result.AddTimelineRecord(record);
            }

            foreach (var (component, history) in timeline.Components)
            {
                foreach (var chunk in history.AllChunks())
                {
                    if (!deleted.Contains(catalog.Layout.ChunkKey(component, timeline.Timeline, chunk)))
                    {
                        result.Timeline(timeline.Timeline).AddChunk(component, chunk);
                    }
                }
            }

            foreach (var backup in timeline.Backups.Where(b => !deleted.Contains(catalog.Layout.BackupManifestKey(b.Id))))
            {
                result.AddBackup(backup);
            }
        }

        return result;
    }
}
