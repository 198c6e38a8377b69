using Archiver.Actors.Databases;
using Archiver.Actors.Ports;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Tests;

/// <summary>The restore rules as pure decisions: no actor, no store.</summary>
public sealed class RestoreDeciderTests
{
    private static readonly ResourceId Db = new("demo", "mg-restored");
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 1, 0, 0, TimeSpan.Zero);
    private static readonly PlanInfo Plan = new(1, "backup-1", "1000:5", ["rs0"], 3, 4096, Document: "{}");

    [Fact]
    public void A_database_asking_for_a_point_in_time_asks_once_with_its_settings_and_the_default_prefix()
    {
        var state = DatabaseState.Empty(Db);

        var requested = Assert.IsType<RestoreRequested>(Assert.Single(RestoreDecider.Request(state, Database("{archiver.kubedb.com/restore-databases: shop}"), null, Now)));

        Assert.Equal(new ResourceId("stash", "local-storage"), requested.StorageId);
        Assert.Equal("db/MongoDB/demo/mg-restored", requested.SourcePrefix);
        Assert.Equal([new DatabaseMapping("shop", "shop")], requested.Settings!.Databases);
        Assert.Empty(RestoreDecider.Request(state.Apply(requested), Database(), null, Now));
    }

    [Fact]
    public void Settings_that_cannot_be_used_fail_the_restore_at_once_naming_the_annotation()
    {
        var events = RestoreDecider.Request(DatabaseState.Empty(Db), Database("{archiver.kubedb.com/restore-users-and-roles: nope}"), null, Now);

        var failed = Assert.IsType<RestoreFailed>(events[^1]);
        Assert.StartsWith("archiver.kubedb.com/restore-users-and-roles:", failed.Reason, StringComparison.Ordinal);
        Assert.False(failed.TargetTouched);
        Assert.Equal(RestoreStage.Failed, events.Aggregate(DatabaseState.Empty(Db), (s, e) => s.Apply(e)).Restore!.Stage);
    }

    [Fact]
    public void The_plan_is_recorded_while_the_restore_runs_and_its_end_once()
    {
        var state = DatabaseState.Empty(Db).Apply(RestoreDecider.Request(DatabaseState.Empty(Db), Database(), null, Now)[0]);
        state = state.Apply(RestoreDecider.Planned(state, Plan, Database(), Now)!);
        Assert.Equal(Plan, state.Restore!.Plan);

        state = state.Apply(RestoreDecider.Finished(state, new RestoreOutcome("backup-1", 10, ["config.system.sessions: 4"]), null, true, Now)!);

        Assert.Equal(RestoreStage.Succeeded, state.Restore!.Stage);
        Assert.Null(RestoreDecider.Finished(state, null, "late failure", true, Now));
        Assert.Null(RestoreDecider.Planned(state, Plan, Database(), Now));
    }

    [Theory]
    [InlineData(null, "mg-restored is a replica set (no spec.shardTopology): restore it into a MongoDB with spec.shardTopology.shard.shards: 3")]
    [InlineData(2, "mg-restored has spec.shardTopology.shard.shards: 2: restore into a cluster of the same number of shards")]
    public void A_sharded_clusters_history_into_a_target_of_another_shape_fails_before_the_target_is_touched(int? targetShards, string why)
    {
        var state = DatabaseState.Empty(Db).Apply(RestoreDecider.Request(DatabaseState.Empty(Db), Database(), null, Now)[0]);
        var sharded = Plan with { Components = ["cfg", "mg-sh-shard0", "mg-sh-shard1", "mg-sh-shard2"], ConfigServer = "cfg" };

        var failed = Assert.IsType<RestoreFailed>(RestoreDecider.Planned(state, sharded, Database(shards: targetShards), Now));

        Assert.False(failed.TargetTouched);
        Assert.Equal($"backup backup-1 is of a sharded cluster of 3 shard(s) (mg-sh-shard0, mg-sh-shard1, mg-sh-shard2) and config server cfg; demo/{why}", failed.Reason);
        Assert.Equal(RestoreStage.Failed, state.Apply(failed).Restore!.Stage);
    }

    [Fact]
    public void Histories_go_into_targets_of_their_own_shape_and_a_replica_sets_never_into_a_sharded_cluster()
    {
        var state = DatabaseState.Empty(Db).Apply(RestoreDecider.Request(DatabaseState.Empty(Db), Database(), null, Now)[0]);
        var sharded = Plan with { Components = ["cfg", "sh0", "sh1"], ConfigServer = "cfg" };

        Assert.IsType<RestorePlanned>(RestoreDecider.Planned(state, sharded, Database(shards: 2), Now));
        Assert.IsType<RestorePlanned>(RestoreDecider.Planned(state, Plan, Database(), Now));
        var failed = Assert.IsType<RestoreFailed>(RestoreDecider.Planned(state, Plan, Database(shards: 2), Now));
        Assert.Equal("backup backup-1 is a replica set's (rs0); demo/mg-restored is a sharded cluster (spec.shardTopology): restore it into a replica set", failed.Reason);
        // A plan recorded before plans named the config server, of several components: the restore itself tells.
        Assert.IsType<RestorePlanned>(RestoreDecider.Planned(state, sharded with { ConfigServer = null }, Database(), Now));
    }

    [Fact]
    public void The_status_says_why_it_waits_then_what_it_restored_and_left_out()
    {
        var record = new RestoreRecord(new ResourceId("stash", "local-storage"), "p", Now, RestoreStage.Running, "backup-1", null, Now);

        var (phase, waiting) = RestoreDecider.Status(record, "waiting for the target: connection refused", Now);
        Assert.Equal(DatabaseArchiverPhase.Restoring, phase);
        Assert.Equal((ConditionStatus.Unknown, DatabaseConditions.WaitingForTargetReason), (waiting.Status, waiting.Reason));

        var done = record with { Stage = RestoreStage.Succeeded, LeftOut = ["config.system.sessions: 4", "admin.system.users: 2"] };
        var (restored, condition) = RestoreDecider.Status(done, "stale wait", Now);
        Assert.Equal(DatabaseArchiverPhase.Restored, restored);
        Assert.Equal(DatabaseConditions.RestoredType, condition.Type);
        Assert.Equal("from backup backup-1; left out (not restorable, or MongoDB's own): admin.system.users: 2, config.system.sessions: 4", condition.Message);
    }

    private static MongoDB Database(string annotations = "{}", int? shards = null) => (MongoDB)ManifestReader.Read($$"""
        apiVersion: kubedb.com/v1alpha2
        kind: MongoDB
        metadata: {name: mg-restored, namespace: demo, annotations: {{annotations}}}
        spec:
          version: "6.0.12"
          {{(shards is { } n ? $"shardTopology: {{configServer: {{replicas: 1}}, mongos: {{replicas: 1}}, shard: {{replicas: 1, shards: {n}}}}}" : "")}}
          init:
            archiver:
              recoveryTimeStamp: "2020-10-28T01:48:23.121314+03:00"
              repository: {name: local-storage, namespace: stash}
        """).Resources[0];
}
