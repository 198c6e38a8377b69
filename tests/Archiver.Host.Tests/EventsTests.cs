using static Archiver.Host.Tests.DisasterRecoveryScenario;

namespace Archiver.Host.Tests;

/// <summary>
/// The Events a user reads with <c>archiver describe</c> on the embedded node (in a cluster, <c>kubectl describe</c>
/// reads the same ones from the API server): a database's full backup and archiving alarm, its ops request's steps, the
/// archiver's ops requests, and a restore's start, plan and outcome, through the node's API.
/// </summary>
public sealed class EventsTests() : ScenarioNodeTests("events")
{
    [Fact]
    public async Task Backups_alarms_ops_request_steps_and_restores_are_told_as_Events_on_the_objects_they_concern()
    {
        var (client, _) = await Scenario.FirstDatabaseAsync();
        await WriteAsync(client, "seed", 50);
        await Scenario.CliOkAsync("backup", Source.ToString());
        await Scenario.WaitForAsync(Source, db => db.Status?.Archiver?.LastFullBackup is not null);
        var written = await MomentAsync();
        await Scenario.WaitArchivedAsync(written);

        // What archiving costs, in the status: the catalog's own count of objects and bytes, per component.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var usage = (await Scenario.GetAsync(Source))!.Status!.Archiver!.Storage?.SingleOrDefault(s => s.Component == "rs0");
            var history = (await Scenario.CatalogAsync()).Timeline(1);
            var chunks = history.Component("rs0").AllChunks().ToArray();
            var files = history.Backups.SelectMany(b => b.Files).ToList();
            if (usage is not null && usage.OplogObjects == chunks.Length && usage.OplogBytes == chunks.Sum(c => c.SizeBytes)
                && usage.BackupObjects == files.Count && usage.BackupBytes == files.Sum(f => f.StoredSize) && files.Count > 0 && chunks.Length > 0)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"status.archiver.storage {usage} never matched the catalog ({chunks.Length} chunks, {files.Count} backup files)");
            await Task.Delay(200);
        }

        var database = await DescribeAsync("mongodb", Source.ToString());
        Assert.Matches(@"\n  Normal\s+BackupStarted\s+\S+\s+archiver\s+full backup \S+ started, on demand\n", database);
        Assert.Matches(@"\n  Normal\s+BackupSucceeded\s+\S+\s+archiver\s+full backup \S+ succeeded in \S+, [\d.]+ (B|KiB|MiB) stored\n", database);
        Assert.Contains("Status:", database, StringComparison.Ordinal);
        Assert.Contains("phase: Archiving", database, StringComparison.Ordinal);

        // A change of the archiver's configuration reconfigures the database by an ops request: step by step on the
        // request, and on the archiver that issued it.
        deadline = DateTime.UtcNow.AddSeconds(30);
        var archiverYaml = (await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "examples", "embedded", "archiver.yaml")))
            .Replace("chunkMaxAge: 1s", "chunkMaxAge: 2s", StringComparison.Ordinal);
        await Scenario.ApplyAsync(archiverYaml);
        string? opsRequest = null;
        while (opsRequest is null)
        {
            var row = (await Scenario.CliOkAsync("get", "mongodbopsrequests", "-n", Source.Namespace)).OutputLines.Skip(1).FirstOrDefault(l => l.Contains(" Successful ", StringComparison.Ordinal));
            opsRequest = row?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            Assert.True(DateTime.UtcNow < deadline, "no ops request reconfigured the database");
            await Task.Delay(200);
        }

        var steps = await DescribeAsync("mongodbopsrequest", $"{Source.Namespace}/{opsRequest}");
        foreach (var reason in new[] { "Starting", "CreateBackupConfiguration", "CreateSnapshot", "UpdateDatabase", "Successful" })
        {
            Assert.Matches($@"\n  Normal\s+{reason}\s", steps);
        }

        var archiver = await DescribeAsync("mongodbarchiver", "demo/archiver-demo");
        Assert.Matches($@"\n  Normal\s+OpsRequestCreated\s+\S+\s+archiver\s+MongoDBOpsRequest {opsRequest} created to configure archiving of MongoDB {Source}\n", archiver);

        // The replica set goes down and comes back: the alarm is raised once, however many looks see it, and cleared.
        var replicaSet = Scenario.ReplicaSet("rs0");
        var endpoint = replicaSet.MemberEndPoint(0)!;
        await replicaSet.StopMemberAsync(0);
        await Scenario.WaitForAsync(Source, db => db.Status?.Archiver?.Conditions?.Any(c => c.Reason == "SourceUnavailable") == true);
        replicaSet.StartMember(0, endpoint);
        await Scenario.WaitForAsync(Source, db => db.Status?.Archiver?.Conditions?.Any(c => c.Type == "Archiving" && c.Status == Messages.Resources.ConditionStatus.True) == true, TimeSpan.FromSeconds(60));
        var alarms = await DescribeAsync("mongodb", Source.ToString());
        Assert.Single(alarms.Split('\n'), l => l.Contains("Warning", StringComparison.Ordinal) && l.Contains("SourceUnavailable", StringComparison.Ordinal));
        Assert.Matches(@"\n  Normal\s+ArchivingHealthy\s+\S+\s+archiver\s+archiving is healthy again \(.*\) after SourceUnavailable\n", alarms);

        // A restore into a new database: started, planned, done.
        await Scenario.RestoreAsync("restored", "rs2", written);
        var restored = await DescribeAsync("mongodb", "demo/restored");
        Assert.Matches(@"\n  Normal\s+RestoreStarted\s+\S+\s+archiver\s+restoring to \S+ from db/MongoDB/demo/src\n", restored);
        Assert.Matches(@"\n  Normal\s+RestorePlanned\s+\S+\s+archiver\s+restore plan: full backup \S+, then \d+ oplog chunks? \(.*\) replayed\n", restored);
        Assert.Matches(@"\n  Normal\s+Restored\s+\S+\s+archiver\s+restored to \S+: full backup \S+ and [\d,]+ oplog entries\n", restored);
    }

    private async Task<string> DescribeAsync(string kind, string name) => (await Scenario.CliOkAsync("describe", kind, name)).Output;
}
