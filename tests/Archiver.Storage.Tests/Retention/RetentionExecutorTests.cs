using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using Archiver.Storage.Retention;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.Retention;

public sealed class RetentionExecutorTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly LocalFolderStore _store;
    private readonly RepositoryLayout _layout = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders");

    public RetentionExecutorTests() => _store = new LocalFolderStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_dry_run_changes_nothing_and_applying_deletes_exactly_what_it_listed()
    {
        await WriteHistoryAsync();
        var before = await KeysAsync();
        var catalog = await RepositoryCatalog.LoadAsync(_store, _layout);

        var plan = RetentionPlanner.Plan(catalog, new RetentionRules { KeepLastSucceeded = 1, KeepLastFailed = 0 }, DateTimeOffset.UtcNow);
        var listed = plan.KeysToDelete().ToList();
        var unchanged = await KeysAsync();
        var deleted = await RetentionExecutor.ApplyAsync(_store, plan);
        var after = await KeysAsync();

        Assert.Equal(before, unchanged);
        Assert.NotEmpty(listed);
        Assert.Equal(listed.Count, deleted);
        Assert.Equal(before.Except(listed), after);
        var reloaded = await RepositoryCatalog.LoadAsync(_store, _layout);
        Assert.Equal(catalog.Timeline(1).WindowOf(plan.KeptBackups.Single().Backup), reloaded.Timeline(1).Windows().Single());
    }

    [Fact]
    public async Task Files_of_a_backup_that_never_finished_go_only_after_the_grace_period()
    {
        await WriteHistoryAsync();
        var abandoned = new FullBackupWriter(_store, _layout, new BackupStart("mongodump", ["rs0"], 1, DateTimeOffset.UnixEpoch));
        await abandoned.AddFileAsync("part.bson", "rs0", new MemoryStream(new byte[100]));
        var catalog = await RepositoryCatalog.LoadAsync(_store, _layout);
        var rules = new RetentionRules { KeepLastSucceeded = 5, IncompleteBackupGrace = TimeSpan.FromHours(1) };

        var soon = RetentionPlanner.Plan(catalog, rules, DateTimeOffset.UtcNow);
        var later = RetentionPlanner.Plan(catalog, rules, DateTimeOffset.UtcNow.AddHours(2));

        Assert.Equal(abandoned.Id, catalog.IncompleteBackups.Single().Id);
        Assert.Empty(soon.KeysToDelete());
        Assert.Equal([_layout.BackupFileKey(abandoned.Id, "part.bson")], later.KeysToDelete());
    }

    [Theory]
    [InlineData(DeletionPolicy.WipeOut, 0)]
    [InlineData(DeletionPolicy.Delete, 14)]
    [InlineData(DeletionPolicy.DoNotDelete, 14)]
    public async Task The_deletion_policy_decides_whether_the_data_stays(DeletionPolicy policy, int remaining)
    {
        await WriteHistoryAsync();
        await _store.PutBytesAsync("db/MongoDB/shop/other/keep", new byte[] { 1 });

        await RetentionExecutor.ApplyDeletionPolicyAsync(_store, _layout, policy);

        Assert.Equal(remaining, (await KeysAsync()).Count(k => k.StartsWith(_layout.Prefix + "/", StringComparison.Ordinal)));
        Assert.Contains("db/MongoDB/shop/other/keep", await KeysAsync());
    }

    private async Task WriteHistoryAsync()
    {
        var entries = SampleOplog.Entries(1_000, 100, perSecond: 1);
        using var writer = new OplogChunkWriter(_store, _layout, "rs0", 1, OplogTimestamp.Zero);
        foreach (var batch in entries.Chunk(10))
        {
            foreach (var entry in batch)
            {
                writer.Append(entry);
            }

            await writer.PublishAsync();
        }

        foreach (var at in new[] { 5, 55 })
        {
            var backup = new FullBackupWriter(_store, _layout, new BackupStart("mongodump", ["rs0"], 1, DateTimeOffset.UnixEpoch.AddSeconds(at)));
            await backup.AddFileAsync("data.bson", "rs0", new MemoryStream(new byte[100]));
            await backup.CompleteAsync(entries[at].Ts, entries[at].WallUnixMs, DateTimeOffset.UnixEpoch.AddSeconds(at + 1));
        }
    }

    private async Task<List<string>> KeysAsync()
    {
        var keys = new List<string>();
        await foreach (var item in _store.ListAllAsync(string.Empty))
        {
            keys.Add(item.Key);
        }

        return keys;
    }
}
