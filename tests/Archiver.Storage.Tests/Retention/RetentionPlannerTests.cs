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
