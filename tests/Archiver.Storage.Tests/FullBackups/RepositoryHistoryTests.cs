using Archiver.Storage.Backends;
using Archiver.Storage.Layout;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.FullBackups;

public sealed class RepositoryHistoryTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
    private readonly TempFolder _folder = new();
    private readonly LocalFolderStore _store;
    private readonly RepositoryLayout _layout = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders");
    private readonly RepositoryHistory _history;

    public RepositoryHistoryTests()
    {
        _store = new LocalFolderStore(_folder.Path);
        _history = new RepositoryHistory(_store, _layout);
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task An_empty_location_is_claimed_as_timeline_one_and_reopened_by_its_owner()
    {
        var first = await _history.OpenForArchivingAsync("uid-a", Now);
        var again = await _history.OpenForArchivingAsync("uid-a", Now.AddHours(1));

        Assert.Equal((1u, "uid-a"), (first.Id, first.Owner));
        Assert.Equal(first, again);
    }

    [Fact]
    public async Task Archiving_another_databases_history_is_refused_naming_both()
    {
        await _history.OpenForArchivingAsync("uid-a", Now);

        var error = await Assert.ThrowsAsync<ForeignHistoryException>(() => _history.OpenForArchivingAsync("uid-b", Now));

        Assert.Contains("uid-a", error.Message, StringComparison.Ordinal);
        Assert.Contains("uid-b", error.Message, StringComparison.Ordinal);
        Assert.Contains(_layout.Prefix, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_location_holding_data_that_is_not_ours_is_refused()
    {
        await _store.PutBytesAsync(_layout.Prefix + "/oplog_1700000000.1_1700000060.1.lz4", new byte[] { 1 });

        await Assert.ThrowsAsync<ForeignHistoryException>(() => _history.OpenForArchivingAsync("uid-a", Now));
    }

    [Fact]
    public async Task A_restored_database_archives_into_a_new_timeline_never_into_the_one_it_read()
    {
        await _history.OpenForArchivingAsync("uid-a", Now);

        var branch = await _history.BranchAsync(1, new OplogTimestamp(500, 2), 500_002, "uid-b", Now, "restore to 500.2");
        var reopened = await _history.OpenForArchivingAsync("uid-b", Now);
        var original = await _history.OpenForArchivingAsync("uid-a", Now);

        Assert.Equal((2u, 1u, new OplogTimestamp(500, 2)), (branch.Id, branch.Parent!.Value, branch.BranchedAfter));
        Assert.Equal(2u, reopened.Id);
        Assert.Equal(1u, original.Id);
    }

    [Fact]
    public async Task Two_databases_racing_for_an_empty_location_cannot_both_win()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            try
            {
                await new RepositoryHistory(_store, _layout).OpenForArchivingAsync($"uid-{i}", Now);
                return true;
            }
            catch (ForeignHistoryException)
            {
                return false;
            }
        }));

        Assert.Equal(1, results.Count(won => won));
        Assert.Single(await _history.ListTimelinesAsync());
    }
}
