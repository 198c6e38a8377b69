using Archiver.Mongo.Restore;
using Archiver.Storage.Catalog;
using MongoDB.Bson;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>A restore that meets damaged data fails by name and leaves the target marked incomplete.</summary>
public sealed class RestoreFaultTests : IClassFixture<MongoTarget>
{
    private readonly MongoTarget _mongo;

    public RestoreFaultTests(MongoTarget mongo) => _mongo = mongo;

    [Fact]
    public async Task A_corrupt_chunk_fails_the_restore_naming_the_chunk_and_leaves_the_target_marked_incomplete()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("corrupt");
        var restored = source + "_r";
        var start = await Oplog.NewestAsync(_mongo.Client);
        await SmallHistory.WriteAsync(_mongo.Client, repository, source, start, inserts: 20, chunkPerInsert: false);

        var chunk = (await repository.CatalogAsync()).Timeline(1).Component("rs0").AllChunks().ToArray()[^1];
        var key = repository.Layout.ChunkKey("rs0", 1, chunk);
        await repository.CorruptAsync(key);
        var options = new RestoreOptions { IncludeDatabase = d => d == source, MapDatabase = _ => restored, OwnsTargetDatabase = d => d == restored };

        var failed = await Assert.ThrowsAsync<RestoreFailedException>(
            () => new RestoreExecutor(repository.Store, repository.Layout, _mongo.Client, options).RunAsync(RecoveryTarget.Latest));

        Assert.Contains(key, failed.Message, StringComparison.Ordinal);
        var marker = Assert.Single(await RestoreMarker.ListAsync(_mongo.Client), m => m["_id"] == options.RestoreId);
        Assert.Equal("failed", marker["state"].AsString);
        Assert.Contains(key, marker["error"].AsString, StringComparison.Ordinal);
        await RestoreMarker.Markers(_mongo.Client).DeleteOneAsync(new BsonDocument("_id", options.RestoreId));
    }
}
