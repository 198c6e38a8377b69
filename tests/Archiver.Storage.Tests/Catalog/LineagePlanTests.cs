using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Oplog;
using static Archiver.Storage.Tests.Support.History;

namespace Archiver.Storage.Tests.Catalog;

/// <summary>
/// Timeline 1 archives seconds 100..999 (backup b1 at 150); the database is restored from it up to second 450 (wall
/// 450 s) and timeline 2 archives the restored replica set's own oplog, whose ts values (5001..) have nothing to do
/// with the parent's, from where the restore ended (5000). The old database kept writing on timeline 1 after 450.
/// </summary>
public sealed class LineagePlanTests
{
    private const uint BranchedAfter = 450;
    private const long BranchSecond = 450;
    private const uint ArchiveAfter = 5_000;
    private static readonly DateTimeOffset Now = At(1_000_000);

    [Fact]
    public void A_target_after_the_branch_replays_the_parent_up_to_the_branch_point_then_the_branch()
    {
        var catalog = Branched();

        var plan = Planned(catalog.PlanRestore(RecoveryTarget.AtTime(At(5_250)), Now));

        Assert.Equal((2u, "b1", 1u, RepoLayout.Prefix), (plan.Timeline, plan.BaseBackup.Id, plan.BaseTimeline, plan.BasePrefix));
        Assert.Equal(2, plan.Segments.Count);
        var (parent, branch) = (plan.Segments[0], plan.Segments[1]);
        Assert.Equal((1u, Ts(150), Ts(BranchedAfter)), (parent.Timeline, parent.After, parent.Until!.Value));
        // The chunk holding the branch point is needed (it also holds 451..499: the replay stops at Until).
        Assert.Equal([(100u, 199u), (200u, 299u), (300u, 399u), (400u, 499u)], Seconds(parent.Chunks));
        Assert.Equal((2u, Ts(ArchiveAfter), (OplogTimestamp?)null), (branch.Timeline, branch.After, branch.Until));
        Assert.Equal([(5_001u, 5_100u), (5_101u, 5_200u), (5_201u, 5_300u)], Seconds(branch.Chunks));
        Assert.All(plan.Segments, s => Assert.Equal(RepoLayout.Prefix, s.Prefix));
        Assert.All(plan.Segments, s => Assert.All(s.Chunks, c => Assert.Equal(RepoLayout.ChunkKey("rs0", s.Timeline, c.Range), c.Key)));
        Assert.Equal((7, 1_000 + (7 * 100L)), (plan.ChunkCount, plan.BytesToRead));
        NeverPastTheBranch(plan);
    }

    [Fact]
    public void A_target_before_the_branch_is_planned_on_the_parent_alone()
    {
        var catalog = Branched();

        var byDefault = Planned(catalog.PlanRestore(RecoveryTarget.AtTime(At(300)), Now));
        var onTheBranch = Planned(catalog.PlanRestore(RecoveryTarget.AtTime(At(300)), Now, timeline: 2));

        foreach (var plan in new[] { byDefault, onTheBranch })
        {
            Assert.Equal((1u, "b1"), (plan.Timeline, plan.BaseBackup.Id));
            var segment = Assert.Single(plan.Segments);
            Assert.Equal((1u, (OplogTimestamp?)null), (segment.Timeline, segment.Until));
            Assert.Equal([(100u, 199u), (200u, 299u), (300u, 399u)], Seconds(segment.Chunks));
        }
    }

    [Fact]
    public void What_the_replaced_database_wrote_after_the_branch_is_reachable_only_by_naming_its_timeline()
    {
        var catalog = Branched();

        // At 700 s the branch still holds what the restore left (its own first write is at 5001 s).
        var byDefault = Planned(catalog.PlanRestore(RecoveryTarget.AtTime(At(700)), Now));
        var onTheOld = Planned(catalog.PlanRestore(RecoveryTarget.AtTime(At(700)), Now, timeline: 1));

        Assert.Equal(2u, byDefault.Timeline);
        Assert.Equal([1u, 2u], byDefault.Segments.Select(s => s.Timeline));
        Assert.Empty(byDefault.Segments[1].Chunks);
        NeverPastTheBranch(byDefault);
        Assert.Equal(1u, onTheOld.Timeline);
        Assert.Equal((700u, 799u), Seconds(Assert.Single(onTheOld.Segments).Chunks)[^1]);
    }

    [Fact]
    public void Once_the_branch_has_a_backup_of_its_own_targets_after_it_start_from_that_backup()
    {
        var catalog = Branched(null, Backup("c1", 5_300, timeline: 2));

        var after = Planned(catalog.PlanRestore(RecoveryTarget.AtTime(At(5_500)), Now));
        var before = Planned(catalog.PlanRestore(RecoveryTarget.AtTime(At(5_250)), Now));

        Assert.Equal((2u, "c1", 2u), (after.Timeline, after.BaseBackup.Id, after.BaseTimeline));
        var own = Assert.Single(after.Segments);
        Assert.Equal((2u, Ts(5_300)), (own.Timeline, own.After));
        Assert.Equal([(5_301u, 5_400u), (5_401u, 5_500u)], Seconds(own.Chunks));
        Assert.Equal(("b1", 2), (before.BaseBackup.Id, before.Segments.Count));
    }

    [Fact]
    public void A_branch_archived_from_later_than_its_restore_ended_is_recoverable_only_from_its_own_backups()
    {
        // The restored database wrote 5001..5100 before its archiving began, and the oplog no longer held them.
        var catalog = Branched(Chunks(5_101, 5_999, 100, 5_100), Backup("c1", 5_300, timeline: 2));

        var inTheGap = Refused(catalog.PlanRestore(RecoveryTarget.AtTime(At(5_250)), Now, timeline: 2));
        var beforeItsOwnWrites = Refused(catalog.PlanRestore(RecoveryTarget.AtTime(At(700)), Now, timeline: 2));
        var byDefault = Refused(catalog.PlanRestore(RecoveryTarget.AtTime(At(700)), Now));

        Assert.Equal((RefusalReason.InsideGap, RefusalReason.InsideGap), (inTheGap.Reason, beforeItsOwnWrites.Reason));
        // 700 s falls on the branch: the writes the replaced database made after the branch point are not its history.
        Assert.Equal(RefusalReason.InsideGap, byDefault.Reason);
        Assert.Equal("c1", Planned(catalog.PlanRestore(RecoveryTarget.AtTime(At(5_500)), Now)).BaseBackup.Id);
        Assert.Equal(new OplogGap("rs0", 2, Ts(ArchiveAfter), BranchSecond * 1000, Ts(5_100), 5_101_000), catalog.BranchGap(2));
        Assert.Equal([(At(5_300), At(5_999))], catalog.WindowsOf(2).Select(w => (w.From, w.To)));
        Assert.Equal([(At(150), At(BranchSecond)), (At(5_300), At(5_999))], catalog.LineageWindows(2).Select(w => (w.From, w.To)));
    }

    [Fact]
    public void A_target_in_a_gap_of_the_branchs_own_oplog_is_refused_as_inside_it_with_both_edges()
    {
        // The branch's oplog is continuous from its restore to 5300, missing 5301..5400, then goes on to 5999.
        var chunks = Chunks(5_001, 5_300, 100, ArchiveAfter).Concat(Chunks(5_401, 5_999, 100, 5_400)).ToList();
        var beforeItsBackup = Branched(chunks, Backup("c2", 5_500, timeline: 2));
        var afterABackup = Branched(chunks, Backup("c1", 5_050, timeline: 2), Backup("c2", 5_500, timeline: 2));

        var first = Refused(beforeItsBackup.PlanRestore(RecoveryTarget.AtTime(At(5_350)), Now));
        var second = Refused(afterABackup.PlanRestore(RecoveryTarget.AtTime(At(5_350)), Now));

        Assert.Equal((RefusalReason.InsideGap, At(5_300), At(5_500)), (first.Reason, first.GapStart!.Value, first.GapEnd!.Value));
        Assert.Equal((RefusalReason.InsideGap, At(5_300), At(5_500)), (second.Reason, second.GapStart!.Value, second.GapEnd!.Value));
        Assert.Equal(RefusalReason.AfterLastArchivedEntry, Refused(Branched().PlanRestore(RecoveryTarget.AtTime(At(6_500)), Now)).Reason);
    }

    [Fact]
    public void A_continuous_branch_is_recoverable_from_its_branch_point_and_its_lineage_joins_the_parents_windows()
    {
        var catalog = Branched();

        var window = Assert.Single(catalog.WindowsOf(2));
        var lineage = Assert.Single(catalog.LineageWindows(2));

        Assert.Null(catalog.BranchGap(2));
        Assert.Equal((2u, At(BranchSecond), At(5_999), Ts(5_999)), (window.Timeline, window.From, window.To, window.ToTs));
        Assert.Equal((At(150), At(5_999)), (lineage.From, lineage.To));
        Assert.Equal([(At(150), At(999))], catalog.LineageWindows(1).Select(w => (w.From, w.To)));
        Assert.Equal(catalog.Timeline(1).MergedWindows(), catalog.WindowsOf(1));
    }

    [Fact]
    public void Without_the_parents_base_backup_the_branch_is_recoverable_only_from_its_own_backups()
    {
        var catalog = new RepositoryCatalog(RepoLayout);
        catalog.AddTimelineRecord(FirstTimeline());
        catalog.AddTimelineRecord(BranchRecord(2, 1, BranchedAfter, BranchSecond, ArchiveAfter));
        catalog.AddChunks(1, Chunks(100, 999, 100, 0));
        catalog.AddChunks(2, Chunks(5_001, 5_999, 100, ArchiveAfter));
        catalog.AddBackup(Backup("c1", 5_300, timeline: 2));

        var across = Refused(catalog.PlanRestore(RecoveryTarget.AtTime(At(5_250)), Now));
        var own = Planned(catalog.PlanRestore(RecoveryTarget.AtTime(At(5_500)), Now));

        Assert.Equal(RefusalReason.NoBackup, across.Reason);
        Assert.Contains("timeline 1", across.Message, StringComparison.Ordinal);
        Assert.Equal(("c1", 1), (own.BaseBackup.Id, own.Segments.Count));
        Assert.Equal([(At(5_300), At(5_999))], catalog.WindowsOf(2).Select(w => (w.From, w.To)));
    }

    [Fact]
    public void A_ts_target_is_planned_in_the_replica_set_whose_oplog_it_names()
    {
        var catalog = Branched();

        var own = Planned(catalog.PlanRestore(RecoveryTarget.AtTs(Ts(5_250)), Now));
        var parents = Planned(catalog.PlanRestore(RecoveryTarget.AtTs(Ts(300)), Now, timeline: 2));
        var neither = Refused(catalog.PlanRestore(RecoveryTarget.AtTs(Ts(3_000)), Now, timeline: 2));
        var pastTheBranch = Refused(catalog.PlanRestore(RecoveryTarget.AtTs(Ts(700)), Now, timeline: 2));

        Assert.Equal((2u, 2), (own.Timeline, own.Segments.Count));
        Assert.Equal((5_201u, 5_300u), Seconds(own.Segments[1].Chunks)[^1]);
        NeverPastTheBranch(own);
        Assert.Equal((1u, 1), (parents.Timeline, parents.Segments.Count));
        Assert.Equal((RefusalReason.InsideGap, RefusalReason.InsideGap), (neither.Reason, pastTheBranch.Reason));
        // With no timeline named, the replica set that holds the entry answers: 700 is one the replaced database wrote.
        Assert.Equal(1u, Planned(catalog.PlanRestore(RecoveryTarget.AtTs(Ts(700)), Now)).Timeline);
    }

    [Fact]
    public void The_first_ts_of_a_branchs_own_oplog_is_the_state_its_restore_left()
    {
        // A window of the branch starts at its ArchiveAfter: planning that very ts must give the restored state.
        var catalog = Branched();

        var plan = Planned(catalog.PlanRestore(RecoveryTarget.AtTs(Ts(ArchiveAfter)), Now, timeline: 2));

        Assert.Equal(Ts(ArchiveAfter), catalog.WindowsOf(2)[0].FromTs);
        Assert.Equal((2u, 2), (plan.Timeline, plan.Segments.Count));
        Assert.Equal(Ts(BranchedAfter), plan.Segments[0].Until);
        Assert.Empty(plan.Segments[1].Chunks);
    }

    [Fact]
    public void A_branch_restored_from_a_branch_before_its_first_own_write_plans_across_both_branch_points()
    {
        // Timeline 2 restored to 700 s: its own oplog had nothing yet, so that restore stopped at 2's start (5000).
        var catalog = Branched();
        catalog.AddTimelineRecord(BranchRecord(3, 2, ArchiveAfter, 700, 9_000, owner: "uid-c", parentOwner: "uid-b"));
        catalog.AddChunks(3, Chunks(9_001, 9_500, 100, 9_000));

        var plan = Planned(catalog.PlanRestore(RecoveryTarget.AtTime(At(9_150)), Now));
        var onTwo = Planned(catalog.PlanRestore(RecoveryTarget.AtTime(At(600)), Now));

        Assert.Equal((3u, "b1"), (plan.Timeline, plan.BaseBackup.Id));
        Assert.Equal([1u, 2u, 3u], plan.Segments.Select(s => s.Timeline));
        Assert.Equal([Ts(BranchedAfter), Ts(ArchiveAfter), (OplogTimestamp?)null], plan.Segments.Select(s => s.Until));
        Assert.Equal([(9_001u, 9_100u), (9_101u, 9_200u)], Seconds(plan.Segments[2].Chunks));
        Assert.Equal((2u, 2), (onTwo.Timeline, onTwo.Segments.Count));
        Assert.Equal((At(150), At(9_500)), (catalog.LineageWindows(3).Single().From, catalog.LineageWindows(3).Single().To));
    }

    [Fact]
    public void A_branch_whose_own_ts_values_are_below_its_parents_is_planned_by_wall_time()
    {
        // The restored replica set is young: its ts (11..300) are smaller than the parent's, its walls (6011 s..) later.
        var catalog = NewCatalog(Chunks(100, 999, 100, 0), Backup("b1", 150));
        catalog.AddTimelineRecord(FirstTimeline());
        catalog.AddTimelineRecord(BranchRecord(2, 1, BranchedAfter, BranchSecond, 10));
        catalog.AddChunks(2, Chunks(11, 300, 100, 10).Select(c => c with { FirstWallUnixMs = c.FirstWallUnixMs + 6_000_000, LastWallUnixMs = c.LastWallUnixMs + 6_000_000 }));

        var plan = Planned(catalog.PlanRestore(RecoveryTarget.AtTime(At(6_150)), Now));

        Assert.Equal([(100u, 199u), (200u, 299u), (300u, 399u), (400u, 499u)], Seconds(plan.Segments[0].Chunks));
        Assert.Equal([(11u, 110u), (111u, 210u)], Seconds(plan.Segments[1].Chunks));
        Assert.Equal((At(BranchSecond), At(6_300)), (catalog.WindowsOf(2).Single().From, catalog.WindowsOf(2).Single().To));
    }

    private static RepositoryCatalog Branched(IEnumerable<ChunkRange>? child = null, params BackupManifest[] backups)
    {
        var catalog = NewCatalog(Chunks(100, 999, 100, 0), [Backup("b1", 150), .. backups]);
        catalog.AddTimelineRecord(FirstTimeline());
        catalog.AddTimelineRecord(BranchRecord(2, 1, BranchedAfter, BranchSecond, ArchiveAfter));
        catalog.AddChunks(2, child ?? Chunks(5_001, 5_999, 100, ArchiveAfter));
        return catalog;
    }

    /// <summary>The plan, or a failure that says why there is none.</summary>
    private static RestorePlan Planned(RestorePlanResult result)
    {
        Assert.True(result.IsPossible, result.Refusal?.Message);
        return result.Plan!;
    }

    /// <summary>The refusal, or a failure naming the plan that was made instead.</summary>
    private static PlanRefusal Refused(RestorePlanResult result)
    {
        Assert.False(result.IsPossible, $"planned on timeline {result.Plan?.Timeline} from {result.Plan?.BaseBackup.Id}");
        return result.Refusal!;
    }

    private static List<(uint, uint)> Seconds(IEnumerable<ChunkDescriptor> chunks) =>
        [.. chunks.Select(c => (c.Range.First.Seconds, c.Range.Last.Seconds))];

    /// <summary>No chunk of timeline 1 that starts after the branch point, in the segments or the components.</summary>
    private static void NeverPastTheBranch(RestorePlan plan)
    {
        var parents = plan.Segments.SelectMany(s => s.Chunks).Concat(plan.Components.SelectMany(c => c.Chunks)).Where(c => c.Timeline == 1);
        Assert.All(parents, c => Assert.True(c.Range.First <= Ts(BranchedAfter), $"{c.Key} is after the branch point"));
    }
}
