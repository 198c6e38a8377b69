using System.Text;
using Akka.Serialization;
using Archiver.Actors.Serialization;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;
using Xunit.Abstractions;

namespace Archiver.Actors.Tests;

public sealed class SerializerSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestSystem.Actors, "archiver", output)
{
    private static readonly DateTimeOffset At = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
    private static readonly ResourceId Request = new("demo", "mg-rs-configure");

    [Fact]
    public void Every_protocol_member_is_bound_to_our_serializer_not_the_default_json()
    {
        var serializer = Sys.Serialization.FindSerializerFor(new OpsRequestStepStarted(Request, OpsRequestStep.CreateSnapshot, 1, At));
        Assert.IsType<ArchiverSerializer>(serializer);
    }

    [Fact]
    public void Every_registered_contract_has_a_unique_versioned_name_and_implements_the_marker()
    {
        Assert.All(ProtocolContracts.All, c =>
        {
            Assert.Matches(@"^[a-z-]+\.[a-z-]+\.v[0-9]+$", c.Manifest);
            Assert.True(typeof(IArchiverProtocolMember).IsAssignableFrom(c.Type), c.Type.Name);
        });
        Assert.Equal(ProtocolContracts.All.Count(), ProtocolContracts.All.Select(c => c.Manifest).Distinct().Count());
    }

    [Fact]
    public void Events_and_state_round_trip()
    {
        var state = OpsRequestState.Empty(Request)
            .Apply(new OpsRequestAccepted(Request, ArchiverOperationType.ConfigureArchiver, new ResourceId("demo", "mg-rs"), new ResourceId("kubedb", "a"), "0123456789abcdef", At))
            .Apply(new OpsRequestStepStarted(Request, OpsRequestStep.CreateBackupConfiguration, 1, At))
            .Apply(new OpsRequestStepSucceeded(Request, OpsRequestStep.CreateBackupConfiguration, "created", At));
        object[] members =
        [
            new StartOpsRequest(Request, ArchiverOperationType.DisableArchiver, new ResourceId("demo", "mg-rs"), new ResourceId("kubedb", "a"), null),
            new GetOpsRequestState(Request),
            new OpsRequestStepFailed(Request, OpsRequestStep.RestartPods, 2, "pods not ready", Final: false, At),
            new OpsRequestStepWaiting(Request, OpsRequestStep.CreateBackupConfiguration, "waiting for MongoDB demo/mg-rs to be Ready (KubeDB reports status.phase Provisioning)", At),
            new OpsRequestSkipped(Request, "superseded", At),
            state,
            // Compaction crosses nodes (the database's entity on one, its storage's index on another), durations and all.
            new Messages.Protocol.StorageIndexes.CompactOplog(new ResourceId("stash", "s3"), "db/MongoDB/demo/mg-rs", TimeSpan.FromHours(1), TimeSpan.FromMinutes(15)),
            new Messages.Protocol.StorageIndexes.CompactionReply("db/MongoDB/demo/mg-rs", 3, 3_600, 3_500, 100, 1, null),
            // A CSISnapshotter backup's event, with its volume snapshots (a list of records inside an event).
            new Messages.Protocol.Databases.BackupSucceeded(
                new ResourceId("demo", "mg-rs"), "20300101010000-1", "20300101T010000000Z-abcdef", At,
                [new Messages.Protocol.Databases.BackupVolumeSnapshot("rs0", "datadir-mg-rs-1", "mg-rs-1.mg-rs-pods.demo.svc:27017", "mg-rs-full-1-1", At)]),
        ];
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(IArchiverProtocolMember));
        foreach (var member in members)
        {
            var back = serializer.FromBinary(serializer.ToBinary(member), serializer.Manifest(member));
            Assert.Equal(Json(serializer, member), Json(serializer, back));
        }

        var restored = (OpsRequestState)serializer.FromBinary(serializer.ToBinary(state), serializer.Manifest(state));
        Assert.Equal(OpsRequestStep.StartArchiving - 1, restored.NextStep);
        Assert.Equal(state.Conditions, restored.Conditions);
    }

    [Fact]
    public void A_version_1_event_written_today_reads_back_tomorrow()
    {
        // The journal format of ops-request.step-started.v1: changing it breaks every existing journal.
        const string written = """{"opsRequestId":"demo/mg-rs-configure","step":"RestartPods","attempt":2,"at":"2026-11-25T10:00:00+00:00"}""";
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(IArchiverProtocolMember));
        var read = (OpsRequestStepStarted)serializer.FromBinary(Encoding.UTF8.GetBytes(written), "ops-request.step-started.v1");
        Assert.Equal(new OpsRequestStepStarted(Request, OpsRequestStep.RestartPods, 2, At), read);
        Assert.Equal(written, Encoding.UTF8.GetString(serializer.ToBinary(read)));
    }

    [Fact]
    public void Restore_events_and_plan_questions_of_the_previous_version_read_as_todays()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(IArchiverProtocolMember));
        var db = serializer.ToBinary(new Messages.Protocol.Databases.DatabaseIdentified(new ResourceId("demo", "mg-rs"), "u", At));
        var id = System.Text.Json.JsonDocument.Parse(db).RootElement.GetProperty("databaseId").GetRawText();

        // A plan recorded as a summary: read with no document, so the restore taken up from it plans again.
        var planned = (Messages.Protocol.Databases.RestorePlanned)serializer.FromBinary(
            Encoding.UTF8.GetBytes($$"""{"databaseId":{{id}},"baseBackupId":"b1","chunks":12,"bytesToRead":4096,"at":"2026-11-25T10:00:00+00:00"}"""), "database.restore-planned.v1");
        Assert.Equal(("b1", 12, 4096L, (string?)null), (planned.Plan.BaseBackupId, planned.Plan.Chunks, planned.Plan.BytesToRead, planned.Plan.Document));

        // A question from a node of the previous version: its time, as the one parser writes targets.
        var storage = System.Text.Json.JsonDocument.Parse(serializer.ToBinary(new Messages.Protocol.StorageIndexes.RefreshCatalog(new ResourceId("stash", "s"), "p"))).RootElement.GetProperty("storageId").GetRawText();
        var question = (Messages.Protocol.StorageIndexes.PlanRecovery)serializer.FromBinary(
            Encoding.UTF8.GetBytes($$"""{"storageId":{{storage}},"prefix":"p","time":"2026-11-25T10:00:00.123456+00:00","ts":null}"""), "storage-index.plan.v1");
        Assert.Equal("2026-11-25T10:00:00.123456Z", question.Target);
    }

    [Fact]
    public void An_unknown_manifest_fails_loudly()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(typeof(IArchiverProtocolMember));
        var error = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "ops-request.teleported.v9"));
        Assert.Contains("unknown manifest \"ops-request.teleported.v9\"", error.Message, StringComparison.Ordinal);
    }

    private static string Json(Serializer serializer, object o) => Encoding.UTF8.GetString(serializer.ToBinary(o));
}
