using System.Net;
using System.Net.Sockets;
using Archiver.Emulators.MongoDb;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>
/// The hooks a cluster stand-in serves members as pods with: members named by the host strings a cluster gives them,
/// started on an address of the caller's choosing, stopped (as a pod deleted) and started again elsewhere.
/// </summary>
[Trait("Target", "EmulatorOnly")]
public sealed class MemberHookTests
{
    [EmulatorOnlyFact]
    public async Task Members_started_on_given_addresses_answer_hello_with_their_advertised_names_and_a_driver_finds_them()
    {
        var ports = FreePorts(2);
        await using var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions
        {
            Members = 2,
            PeriodicNoopInterval = null,
            StartStopped = true,
            AdvertisedHosts = [$"localhost:{ports[0]}", $"localhost:{ports[1]}"],
        });
        emulator.StartMember(0, new IPEndPoint(IPAddress.Loopback, ports[0]));
        emulator.StartMember(1, new IPEndPoint(IPAddress.Loopback, ports[1]));
        var client = TestClients.Create(emulator.ConnectionString);
        try
        {
            var coll = client.GetDatabase("d").GetCollection<BsonDocument>("c");
            await coll.InsertOneAsync(new BsonDocument("_id", 1));
            var hello = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1));

            Assert.Equal($"mongodb://localhost:{ports[0]},localhost:{ports[1]}/?replicaSet=rs0", emulator.ConnectionString);
            Assert.Equal(new BsonArray { $"localhost:{ports[0]}", $"localhost:{ports[1]}" }, hello["hosts"]);
            Assert.Equal($"localhost:{ports[0]}", hello["me"].AsString);
            Assert.Equal(1, await coll.CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
        }
        finally
        {
            TestClients.Dispose(client);
        }
    }

    [EmulatorOnlyFact]
    public async Task A_stopped_member_refuses_connections_and_is_unreachable_in_replSetGetStatus_until_it_starts_again_elsewhere()
    {
        await using var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions { Members = 3, PeriodicNoopInterval = null });
        var secondary = emulator.MemberEndPoint(1)!;
        var primary = TestClients.Create($"mongodb://{emulator.Hosts[0]}/?directConnection=true");
        try
        {
            await emulator.StopMemberAsync(1);
            var refused = Assert.Throws<SocketException>(() => new TcpClient().Connect(secondary));
            var down = await StatusAsync(primary);
            var upWhileStopped = emulator.IsMemberUp(1);
            var elsewhere = new IPEndPoint(IPAddress.Parse("127.0.0.2"), secondary.Port);
            emulator.StartMember(1, elsewhere);
            var back = await StatusAsync(primary);
            using var socket = new TcpClient();
            await socket.ConnectAsync(elsewhere);

            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
            Assert.False(upWhileStopped);
            Assert.Equal((0.0, 8, "(not reachable/healthy)"), Member(down, 1));
            Assert.Equal((1.0, 2, "SECONDARY"), Member(back, 1));
            Assert.Equal(elsewhere, emulator.MemberEndPoint(1));
            Assert.True(emulator.IsMemberUp(1));
        }
        finally
        {
            TestClients.Dispose(primary);
        }
    }

    [EmulatorOnlyFact]
    public async Task Stopping_a_member_resets_its_open_connections_but_the_data_stays_with_the_others()
    {
        await using var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions { Members = 2, PeriodicNoopInterval = null });
        var client = TestClients.Create($"mongodb://{emulator.Hosts[0]}/?directConnection=true", s => s.RetryReads = false);
        var other = TestClients.Create($"mongodb://{emulator.Hosts[1]}/?directConnection=true&readPreference=secondaryPreferred");
        try
        {
            await client.GetDatabase("d").GetCollection<BsonDocument>("c").InsertOneAsync(new BsonDocument("_id", 1));

            await emulator.StopMemberAsync(0);
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1)));
            var count = await other.GetDatabase("d").GetCollection<BsonDocument>("c").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty);

            Assert.True(failure is MongoConnectionException or TimeoutException, failure.ToString());
            Assert.Equal(1, count);
        }
        finally
        {
            TestClients.Dispose(client);
            TestClients.Dispose(other);
        }
    }

    [EmulatorOnlyFact]
    public async Task Up_to_seven_members_start_as_MongoDB_allows_seven_voting_members()
    {
        await using var seven = await MongoEmulator.StartAsync(new MongoEmulatorOptions { Members = 7, PeriodicNoopInterval = null });

        Assert.Equal(7, seven.Hosts.Count);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => MongoEmulator.StartAsync(new MongoEmulatorOptions { Members = 8 }));
        await Assert.ThrowsAsync<ArgumentException>(() => MongoEmulator.StartAsync(new MongoEmulatorOptions { StartStopped = true }));
    }

    private static async Task<BsonDocument> StatusAsync(MongoClient client) =>
        await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("replSetGetStatus", 1));

    private static (double Health, int State, string StateStr) Member(BsonDocument status, int id)
    {
        var member = status["members"].AsBsonArray.Select(m => m.AsBsonDocument).Single(m => m["_id"].AsInt32 == id);
        return (member["health"].ToDouble(), member["state"].AsInt32, member["stateStr"].AsString);
    }

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }
}
