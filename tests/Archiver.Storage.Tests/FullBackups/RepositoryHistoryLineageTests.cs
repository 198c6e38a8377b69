using Archiver.Storage.Backends;
using Archiver.Storage.Layout;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.FullBackups;

/// <summary>Which timeline a restored database archives into: <see cref="RepositoryHistory.OpenForArchivingAsync"/> with a lineage.</summary>
public sealed class RepositoryHistoryLineageTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
    private static readonly OplogTimestamp BranchedAfter = new(500, 2);
    private static readonly OplogTimestamp ArchiveAfter = new(9_000, 7);
    private readonly TempFolder _folder = new();
    private readonly LocalFolderStore _store;
    private readonly RepositoryLayout _source = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders");
    private readonly RepositoryLayout _other = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders-copy");

    public RepositoryHistoryLineageTests() => _store = new LocalFolderStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_database_restored_from_its_own_prefix_branches_beside_the_timeline_it_came_from()
    {
        await HistoryOf(_source).OpenForArchivingAsync("uid-a", Now);

        var branch = await HistoryOf(_source).OpenForArchivingAsync("uid-b", Now, From(_source));
        var reopened = await HistoryOf(_source).OpenForArchivingAsync("uid-b", Now.AddHours(1), From(_source));
        var withoutLineage = await HistoryOf(_source).OpenForArchivingAsync("uid-b", Now.AddHours(2));

        Assert.Equal((2u, 1u, "uid-a", BranchedAfter, 500_002L), (branch.Id, branch.Parent!.Value, branch.ParentOwner, branch.BranchedAfter, branch.BranchedAtWallUnixMs));
        Assert.Equal((ArchiveAfter, (string?)null, "uid-b"), (branch.ArchiveAfter!.Value, branch.ParentPrefix, branch.Owner));
        Assert.Equal(branch, reopened);
        Assert.Equal(branch, withoutLineage);
        Assert.Equal(1u, (await HistoryOf(_source).OpenForArchivingAsync("uid-a", Now)).Id);
    }

    [Fact]
    public async Task A_database_restored_from_another_prefix_starts_timeline_one_of_its_empty_prefix_linked_to_the_source()
    {
        await HistoryOf(_source).OpenForArchivingAsync("uid-a", Now);

        var first = await HistoryOf(_other).OpenForArchivingAsync("uid-b", Now, From(_source));

        Assert.Equal((1u, 1u, _source.Prefix, "uid-a"), (first.Id, first.Parent!.Value, first.ParentPrefix, first.ParentOwner));
        Assert.Equal((BranchedAfter, ArchiveAfter), (first.BranchedAfter, first.ArchiveAfter!.Value));
        Assert.Equal(first, await HistoryOf(_other).OpenForArchivingAsync("uid-b", Now.AddHours(1), From(_source)));
        Assert.Single(await HistoryOf(_source).ListTimelinesAsync());
    }

    [Fact]
    public async Task A_database_restored_from_another_prefix_is_refused_where_another_database_archives_and_told_where_to_go()
    {
        await HistoryOf(_source).OpenForArchivingAsync("uid-a", Now);
        await HistoryOf(_other).OpenForArchivingAsync("uid-c", Now);

        var error = await Assert.ThrowsAsync<ForeignHistoryException>(() => HistoryOf(_other).OpenForArchivingAsync("uid-b", Now, From(_source)));

        Assert.Contains(_other.Prefix, error.Message, StringComparison.Ordinal);
        Assert.Contains("uid-c", error.Message, StringComparison.Ordinal);
        Assert.Contains("uid-b", error.Message, StringComparison.Ordinal);
        Assert.Contains("archive it under its own prefix", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lineage_this_storage_does_not_hold_starts_an_unlinked_timeline_that_still_skips_what_the_restore_wrote()
    {
        await HistoryOf(_source).OpenForArchivingAsync("uid-a", Now);

        var missingTimeline = await HistoryOf(_other).OpenForArchivingAsync("uid-b", Now, From(_source) with { SourceTimeline = 7 });
        var anotherOwner = await HistoryOf(RepositoryLayout.ForDatabase("MongoDB", "shop", "third")).OpenForArchivingAsync("uid-d", Now, From(_source) with { SourceOwner = "uid-x" });

        foreach (var record in new[] { missingTimeline, anotherOwner })
        {
            Assert.Equal((1u, (uint?)null, (string?)null, (string?)null), (record.Id, record.Parent, record.ParentPrefix, record.ParentOwner));
            Assert.Equal(ArchiveAfter, record.ArchiveAfter);
            Assert.Contains("not in this storage", record.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_lineage_this_storage_does_not_hold_is_refused_where_another_database_archives()
    {
        await HistoryOf(_source).OpenForArchivingAsync("uid-a", Now);

        var missing = await Assert.ThrowsAsync<ForeignHistoryException>(() => HistoryOf(_source).OpenForArchivingAsync("uid-b", Now, From(_source) with { SourceTimeline = 7 }));
        var foreign = await Assert.ThrowsAsync<ForeignHistoryException>(() => HistoryOf(_source).OpenForArchivingAsync("uid-b", Now, From(_source) with { SourceOwner = "uid-x" }));

        Assert.All(new[] { missing, foreign }, e => Assert.Contains("which this storage does not hold", e.Message, StringComparison.Ordinal));
        Assert.Single(await HistoryOf(_source).ListTimelinesAsync());
    }

    [Fact]
    public async Task Openers_racing_with_the_same_lineage_all_get_the_one_branch()
    {
        await HistoryOf(_source).OpenForArchivingAsync("uid-a", Now);

        var opened = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => HistoryOf(_source).OpenForArchivingAsync("uid-b", Now, From(_source)))));

        Assert.Single(opened.Distinct());
        Assert.Equal(2u, opened[0].Id);
        var timelines = await HistoryOf(_source).ListTimelinesAsync();
        Assert.Equal([1u, 2u], timelines.Select(t => t.Id).Order());
        Assert.Single(timelines, t => t.Owner == "uid-b");
    }

    [Fact]
    public async Task Openers_racing_for_an_empty_prefix_with_the_same_lineage_all_get_its_timeline_one()
    {
        await HistoryOf(_source).OpenForArchivingAsync("uid-a", Now);

        var opened = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => HistoryOf(_other).OpenForArchivingAsync("uid-b", Now, From(_source)))));

        Assert.Single(opened.Distinct());
        Assert.Equal((1u, _source.Prefix), (opened[0].Id, opened[0].ParentPrefix));
        Assert.Single(await HistoryOf(_other).ListTimelinesAsync());
    }

    private RepositoryHistory HistoryOf(RepositoryLayout layout) => new(_store, layout);

    private static RestoreLineage From(RepositoryLayout source) =>
        new(source.Prefix, 1, "uid-a", BranchedAfter, 500_002, ArchiveAfter, "ts 500.2");
}
