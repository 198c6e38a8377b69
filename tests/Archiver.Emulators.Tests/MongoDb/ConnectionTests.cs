using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

public sealed class ConnectionTests(MongoTarget target) : IClassFixture<MongoTarget>
{
    [Fact]
    public async Task Concurrent_writers_on_many_connections_each_get_their_own_strictly_ordered_oplog_entry()
    {
        var db = target.NewDatabase("conc");
        var coll = db.GetCollection<BsonDocument>("c");
        await db.CreateCollectionAsync("c");
        var start = await OplogReader.NewestTimestampAsync(target.Client);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(writer => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                await coll.InsertOneAsync(new BsonDocument { { "_id", $"{writer}-{i}" }, { "writer", writer } });
            }
        })));
        var entries = await OplogReader.EntriesAsync(target.Client, start, db.DatabaseNamespace.DatabaseName);
        var stamps = entries.Select(e => e["ts"].AsBsonTimestamp).ToList();

        Assert.Equal(200, entries.Count);
        Assert.Equal(200, entries.Select(e => e["o"]["_id"].AsString).Distinct().Count());
        Assert.True(stamps.Zip(stamps.Skip(1)).All(p => p.First.CompareTo(p.Second) < 0));
        Assert.Equal(200, await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [Fact]
    public async Task A_client_with_a_stable_API_version_handshakes_with_OP_MSG_and_works()
    {
        var client = TestClients.Create(MongoTarget.RealServerUri ?? target.Emulator!.ConnectionString, s => s.ServerApi = new ServerApi(ServerApiVersion.V1));
        try
        {
            var coll = client.GetDatabase($"t_api_{Guid.NewGuid():N}"[..20]).GetCollection<BsonDocument>("c");
            await coll.InsertOneAsync(new BsonDocument("_id", 1));

            Assert.Equal(1, await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
        }
        finally
        {
            TestClients.Dispose(client);
        }
    }

    [Fact]
    public async Task Hello_reports_a_writable_primary_of_the_named_set_with_lastWrite_optimes()
    {
        var hello = await target.Client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1));

        Assert.True(hello["isWritablePrimary"].AsBoolean);
        Assert.False(string.IsNullOrEmpty(hello["setName"].AsString));
        Assert.Contains(hello["me"], hello["hosts"].AsBsonArray);
        var lastWrite = hello["lastWrite"].AsBsonDocument;
        Assert.IsType<BsonTimestamp>(lastWrite["opTime"]["ts"]);
        Assert.Equal(BsonType.Int64, lastWrite["opTime"]["t"].BsonType);
        Assert.IsType<BsonTimestamp>(lastWrite["majorityOpTime"]["ts"]);
        Assert.Equal(BsonType.DateTime, lastWrite["lastWriteDate"].BsonType);
        Assert.Equal(BsonType.DateTime, lastWrite["majorityWriteDate"].BsonType);
        Assert.True(hello["logicalSessionTimeoutMinutes"].ToInt32() > 0);
    }
}
