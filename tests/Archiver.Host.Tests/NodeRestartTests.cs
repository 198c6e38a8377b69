using Archiver.Emulators.MongoDb;
using Archiver.Host.Adapters;
using Archiver.Host.Node;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Microsoft.Extensions.DependencyInjection;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Tests;

/// <summary>An embedded node restarted on its data folder has the resources it had, with the same identities.</summary>
public sealed class NodeRestartTests
{
    [Fact]
    public async Task A_restarted_node_keeps_its_resources_uids_and_status_and_archives_on()
    {
        await using var mongo = await MongoEmulator.StartAsync(new MongoEmulatorOptions());
        var data = Directory.CreateTempSubdirectory("archiver-restart-").FullName;
        var id = new ResourceId("demo", "mg-rs");
        try
        {
            string uid;
            await using (var first = await StartAsync(data, mongo))
            {
                // The database before its archiver: configured through an ops request, whose record must survive the restart.
                foreach (var name in new[] { "storage.yaml", "mongodb.yaml", "archiver.yaml" }) await NodeResources.ApplyExampleAsync(first, data, name);

                var db = await NodeResources.WaitAsync(first, id, d => d.Status?.Archiver?.Phase == DatabaseArchiverPhase.Archiving, "archiving", TimeSpan.FromSeconds(30));
                uid = db.Metadata.Uid;
            }

            await using var second = await StartAsync(data, mongo);
            var again = await second.Store.GetAsync<MongoDBResource>(id);

            Assert.NotNull(again);
            Assert.Equal(uid, again.Metadata.Uid);
            Assert.Equal("demo/archiver-demo", $"{again.Spec?.Archiver?.Ref?.Namespace}/{again.Spec?.Archiver?.Ref?.Name}");
            Assert.NotNull(await second.Store.GetAsync<MongoDBArchiver>(new ResourceId("demo", "archiver-demo")));
            // Same uid, so its own timeline in the repository is still its own: the archiver resumes, not refused.
            var get = await CliRun.RunAsync("get", "mongodbopsrequests", "-n", "demo", "--node", second.Address.ToString());
            Assert.Matches(@"mg-rs-archiver-configure-\w+\s+Successful", get.Output);
            // Its oplog archiver runs again, on the same timeline (a changed uid would have been refused as foreign history).
            var archivers = second.Services.GetRequiredService<InProcessOplogArchivers>();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (archivers.Running.GetValueOrDefault(id)?.Phase != Mongo.Archiving.ArchiverPhase.Streaming && DateTime.UtcNow < deadline) await Task.Delay(100);
            Assert.Equal(Mongo.Archiving.ArchiverPhase.Streaming, archivers.Running.GetValueOrDefault(id)?.Phase);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<ArchiverNodeHost> StartAsync(string data, MongoEmulator mongo)
    {
        var node = await ArchiverNodeHost.StartAsync(new NodeSettings { DataFolder = data, HttpPort = 0, Brisk = true }, Microsoft.Extensions.Logging.LogLevel.Error);
        node.Secrets.Write(new ResourceId("demo", "mg-rs-connection"), MongoConnections.UriKey, mongo.ConnectionString);
        return node;
    }
}
