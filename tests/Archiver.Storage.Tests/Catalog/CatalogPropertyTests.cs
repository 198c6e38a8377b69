using Archiver.Storage.Catalog;
using Archiver.Storage.Oplog;
using CsCheck;
using static Archiver.Storage.Tests.Support.History;

namespace Archiver.Storage.Tests.Catalog;

public sealed class CatalogPropertyTests
{
    private static readonly DateTimeOffset Now = At(1_000_000);

    // Random slices of a true oplog of one entry per second (1..n): overlapping, duplicated, with holes between.
    private static readonly Gen<(uint N, ChunkRange[] Chunks, uint[] Backups)> GenHistory =
        from n in Gen.UInt[20, 200]
        from slices in Gen.Select(Gen.UInt[1, n], Gen.UInt[0, 30]).Array[1, 40]
        from backups in Gen.UInt[1, n].Array[1, 6]
        select (n, slices.Select(s => Chunk(s.Item1, Math.Min(n, s.Item1 + s.Item2), s.Item1 - 1)).ToArray(), backups.Distinct().ToArray());

    [Fact]
    public void A_target_is_plannable_exactly_when_every_entry_after_its_base_backup_is_archived()
    {
        GenHistory.Sample(h =>
        {
            var catalog = NewCatalog(h.Chunks, [.. h.Backups.Select(b => Backup($"b{b}", b))]);
            var covered = new bool[h.N + 2];
            foreach (var c in h.Chunks)
            {
                for (var s = c.First.Seconds; s <= c.Last.Seconds; s++)
                {
                    covered[s] = true;
                }
            }

            for (var t = 1u; t <= h.N; t++)
            {
                var result = catalog.PlanRestore(RecoveryTarget.AtTime(At(t)), Now);
                var bases = h.Backups.Where(b => b <= t).ToList();
                var expected = bases.Count > 0 && Enumerable.Range((int)bases.Max() + 1, (int)(t - bases.Max())).All(s => covered[s]);
                Assert.True(expected == result.IsPossible, $"target {t}: expected {expected}, got {result.Refusal?.Message}");
                if (result.Plan is { } plan)
                {
                    AssertChainCovers(plan.Components.Single().Chunks, bases.Max(), t);
                }
            }
        }, iter: 200);
    }

    [Fact]
    public void The_order_chunks_arrive_in_does_not_change_the_catalog()
    {
        GenHistory.Select(Gen.Int, (h, seed) => (h, seed)).Sample(x =>
        {
            var (h, seed) = x;
            var shuffled = h.Chunks.ToArray();
            new Random(seed).Shuffle(shuffled);
            var backups = h.Backups.Select(b => Backup($"b{b}", b)).ToArray();

            var inOrder = NewCatalog(h.Chunks.OrderBy(c => c.First).ThenByDescending(c => c.Last), backups).Timeline(1);
            var anyOrder = NewCatalog(shuffled, backups).Timeline(1);

            Assert.Equal(inOrder.Windows(), anyOrder.Windows());
            Assert.Equal(inOrder.Component("rs0").Runs, anyOrder.Component("rs0").Runs);
        }, iter: 200);
    }

    private static void AssertChainCovers(IReadOnlyList<ChunkDescriptor> chunks, uint baseSecond, uint target)
    {
        var reached = baseSecond;
        foreach (var chunk in chunks)
        {
            Assert.True(chunk.Range.First.Seconds <= reached + 1, $"chunk {chunk.Range.First}..{chunk.Range.Last} leaves a hole after {reached}");
            reached = Math.Max(reached, chunk.Range.Last.Seconds);
        }

        Assert.True(reached >= target, $"the plan reaches {reached}, not {target}");
    }
}
