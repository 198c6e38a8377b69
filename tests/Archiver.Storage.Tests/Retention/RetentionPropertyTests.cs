using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Oplog;
using Archiver.Storage.Retention;
using CsCheck;
using static Archiver.Storage.Tests.Support.History;

namespace Archiver.Storage.Tests.Retention;

public sealed class RetentionPropertyTests
{
    private const uint Horizon = 400;

    // Random histories: slices of a one-entry-per-second oplog with holes and overlaps, backups that succeeded
    // (some taken during writes, needing the oplog from 20 s before) or failed at random seconds, and random rules.
    private static readonly Gen<(ChunkRange[] Chunks, BackupManifest[] Backups, RetentionRules Rules)> GenCase =
        from slices in Gen.Select(Gen.UInt[1, Horizon], Gen.UInt[0, 60]).Array[1, 30]
        from backups in Gen.Select(Gen.UInt[2, Horizon], Gen.Bool, Gen.Int[0, 3]).Array[1, 12]
        from keepSucceeded in Gen.Int[1, 4]
        from keepFailed in Gen.Int[0, 2]
        from period in Gen.Int[0, (int)Horizon].Select(p => p == 0 ? (TimeSpan?)null : TimeSpan.FromSeconds(p))
        select (
            slices.Select(s => Chunk(s.Item1, Math.Min(Horizon, s.Item1 + s.Item2), s.Item1 - 1)).ToArray(),
            backups.DistinctBy(b => b.Item1).Select(b => b.Item3 switch
            {
                0 => Backup($"b{b.Item1}", b.Item1, BackupStatus.Failed),
                1 => LiveBackup($"b{b.Item1}", Math.Max(1, b.Item1 - 20), b.Item1),
                _ => Backup($"b{b.Item1}", b.Item1),
            }).ToArray(),
            new RetentionRules { KeepLastSucceeded = keepSucceeded, KeepLastFailed = keepFailed, MaxRetentionPeriod = period });

    [Fact]
    public void Retention_never_deletes_a_chunk_a_kept_backup_needs_nor_a_recoverable_point_inside_the_period()
    {
        GenCase.Sample(c =>
        {
            var now = At(Horizon + 1);
            var before = NewCatalog(c.Chunks, c.Backups);
            var plan = RetentionPlanner.Plan(before, c.Rules, now);
            var after = RetentionPlannerTests.Without(before, plan);

            foreach (var kept in plan.KeptBackups.Where(k => k.Backup.Status == BackupStatus.Succeeded))
            {
                Assert.Equal(before.Timeline(1).WindowOf(kept.Backup), after.Timeline(1).WindowOf(kept.Backup));
            }

            var succeeded = c.Backups.Count(b => b.Status == BackupStatus.Succeeded);
            Assert.True(plan.KeptBackups.Count(k => k.Backup.Status == BackupStatus.Succeeded) >= Math.Min(c.Rules.KeepLastSucceeded, succeeded));

            var cutoff = c.Rules.MaxRetentionPeriod is { } period ? now - period : now;
            for (var t = (uint)cutoff.ToUnixTimeSeconds(); t <= Horizon; t++)
            {
                var target = RecoveryTarget.AtTime(At(t));
                if (before.PlanRestore(target, now).IsPossible)
                {
                    Assert.True(after.PlanRestore(target, now).IsPossible, $"second {t} was recoverable before retention and is not after");
                }
            }
        }, iter: 300);
    }
}
