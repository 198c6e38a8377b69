using System.Globalization;
using System.Text;
using Akka.Actor;
using Archiver.Actors.Embedded;
using Archiver.Actors.Hosting;
using Archiver.Messages.Protocol.StorageIndexes;

namespace Archiver.Actors.Tests.Cluster;

/// <summary>Two nodes built by <see cref="ArchiverHostingExtensions.AddArchiver"/> on 127.0.0.1, talking over remoting.</summary>
public sealed class LargeMessageSpecs : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly string _folder = Directory.CreateTempSubdirectory("archiver-frames-").FullName;

    [Fact]
    public async Task A_restore_plan_larger_than_Akkas_default_frame_crosses_between_two_nodes_and_back()
    {
        var ports = FreePorts.Take(2);
        var addresses = ports.Select(p => string.Create(CultureInfo.InvariantCulture, $"akka.tcp://{ArchiverHostingExtensions.SystemName}@127.0.0.1:{p}")).ToList();
        await using var first = await StartAsync(ports[0], addresses[0], "first");
        await using var second = await StartAsync(ports[1], addresses[0], "second");
        first.System.ActorOf(Props.Create(() => new Echo()), "echo");
        var reply = PlanReply(chunks: 20_000);
        Assert.True(reply.Plan!.Document!.Length > 4 * 128_000, "the document must be well over Akka's default frame");

        // Through our serializer both ways: the plan as the storage index sends it to a database on another node.
        var echoed = await second.System.ActorSelection($"{addresses[0]}/user/echo").Ask<RecoveryPlanReply>(reply, Patience);

        Assert.Equal(reply.Plan.Document, echoed.Plan!.Document);
        Assert.Equal(reply.Plan.Chunks, echoed.Plan.Chunks);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private Task<ArchiverNode> StartAsync(int port, string seed, string name) =>
        ArchiverNode.StartAsync(
            new ArchiverNodeOptions
            {
                Port = port,
                SeedNodes = [seed],
                // Each its own journal: nothing here moves an entity between them.
                Journal = JournalOptions.Sqlite(Path.Combine(_folder, $"{name}.db")),
            },
            new InMemoryResourceStore(),
            new InProcessWorkloads());

    /// <summary>A plan whose document names every chunk, as a long point-in-time restore's does.</summary>
    private static RecoveryPlanReply PlanReply(int chunks)
    {
        var document = new StringBuilder("""{"formatVersion": 1, "baseBackupId": "20301231-backup", "chunks": [""");
        for (var i = 0; i < chunks; i++)
        {
            if (i > 0) document.Append(", ");
            document.Append(CultureInfo.InvariantCulture, $"\"oplog/rs0/20301231T{i:D6}-{i + 1:D6}.bson.zst\"");
        }

        document.Append("]}");
        var plan = new PlanInfo(1, "20301231-backup", "1000:5", ["rs0"], Chunks: chunks, BytesToRead: 4096L * chunks, Document: document.ToString());
        return new RecoveryPlanReply("db/MongoDB/demo/mg-rs", plan, null, null);
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(message => Sender.Tell(message));
    }
}
