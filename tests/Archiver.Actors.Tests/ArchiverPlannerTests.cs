using Archiver.Actors.Archivers;
using Archiver.Actors.Ports;
using Archiver.Messages.Configuration;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Archivers;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;
using k8s.Models;

namespace Archiver.Actors.Tests;

public sealed class ArchiverPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly MongoDBArchiver Archiver = Created(Fixtures.Archiver(), minutesAgo: 60);
    private static readonly string Hash = SpecHash.Compute(Archiver.Spec!);

    [Fact]
    public void A_selected_database_without_the_current_hash_gets_a_configure_request()
    {
        var plan = Plan(World(Fixtures.Database()));
        var issued = Assert.Single(plan.ToCreate);
        Assert.Equal(ArchiverOperationType.ConfigureArchiver, issued.Operation);
        Assert.Equal(Fixtures.DatabaseId, issued.DatabaseId);
        Assert.Equal(Hash, issued.SpecHash);
        Assert.StartsWith("mg-rs-archiver-configure-", issued.OpsRequestId.Name, StringComparison.Ordinal);
        Assert.Equal(ArchiverPhase.Progressing, plan.Phase);
    }

    [Fact]
    public void A_database_configured_with_the_current_hash_needs_nothing()
    {
        var plan = Plan(World(Configured(Fixtures.Database(), Hash)));
        Assert.Empty(plan.ToCreate);
        Assert.Equal(ArchiverPhase.Current, plan.Phase);
        Assert.Equal(ConditionStatus.True, plan.Conditions.Single(c => c.Type == "Ready").Status);
    }

    [Fact]
    public void A_changed_archiver_reconfigures_databases_holding_the_old_hash()
    {
        var plan = Plan(World(Configured(Fixtures.Database(), "0000000000000000")));
        Assert.Equal(ArchiverOperationType.ConfigureArchiver, Assert.Single(plan.ToCreate).Operation);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData(DatabaseArchiverPhase.Restoring, false)]
    [InlineData(DatabaseArchiverPhase.Restored, true)]
    [InlineData(DatabaseArchiverPhase.RestoreFailed, true)]
    public void A_database_being_restored_is_configured_only_once_its_restore_is_over(DatabaseArchiverPhase? phase, bool configured)
    {
        var db = Fixtures.Database();
        db = db with
        {
            Spec = db.Spec! with
            {
                Init = new MongoDBInit
                {
                    Archiver = new ArchiverRecovery { RecoveryTimeStamp = Now.AddHours(-1), Repository = new ObjectRef { Name = "local-storage", Namespace = "stash" } },
                },
            },
            Status = phase is null ? null : new MongoDBStatus { Archiver = new DatabaseArchiverStatus { Phase = phase } },
        };

        Assert.Equal(configured, Plan(World(db)).ToCreate.Count == 1);
    }

    [Fact]
    public void A_selected_sharded_cluster_a_node_cannot_archive_gets_no_ops_request_and_the_archiver_says_why_while_the_others_are_configured()
    {
        var sharded = Sharded();

        var plan = ArchiverPlanner.Plan(ArchiverState.Empty(Fixtures.ArchiverId), World(Archiver, [Fixtures.Database(), sharded]) with { ShardedRefusal = "shards get no sidecar here" }, Now);

        Assert.Equal([Fixtures.DatabaseId], plan.ToCreate.Select(i => i.DatabaseId));
        Assert.Equal(ArchiverPhase.Blocked, plan.Phase);
        var unsupported = Assert.Single(plan.Conditions, c => c.Type == "Unsupported");
        Assert.Equal(ConditionStatus.True, unsupported.Status);
        Assert.Equal("demo/mg-sh: shards get no sidecar here; nothing is configured for it", unsupported.Message);
        Assert.Equal(ConditionStatus.False, Plan(World(Fixtures.Database())).Conditions.Single(c => c.Type == "Unsupported").Status);
    }

    [Fact]
    public void A_selected_standalone_on_a_node_that_reads_the_spec_as_kubedb_does_gets_no_ops_request_and_the_archiver_says_why()
    {
        var standalone = Fixtures.Database(name: "mg-one");
        var replicaSet = WithSpec(Fixtures.Database(), "replicaSet", "{\"name\": \"rs0\"}");

        var plan = ArchiverPlanner.Plan(ArchiverState.Empty(Fixtures.ArchiverId), World(Archiver, [replicaSet, standalone, Sharded()]) with { StandaloneRefusal = "no oplog" }, Now);

        Assert.Equal([Fixtures.DatabaseId, new ResourceId("demo", "mg-sh")], plan.ToCreate.Select(i => i.DatabaseId).Order());
        Assert.Equal("demo/mg-one: no oplog; nothing is configured for it", Assert.Single(plan.Conditions, c => c.Type == "Unsupported").Message);
        // The embedded node leaves a standalone to its server: the spec may leave spec.replicaSet out there.
        Assert.Equal(3, ArchiverPlanner.Plan(ArchiverState.Empty(Fixtures.ArchiverId), World(Archiver, [replicaSet, standalone, Sharded()]), Now).ToCreate.Count);
    }

    [Fact]
    public void A_sharded_cluster_is_configured_like_a_replica_set_on_a_node_that_archives_one()
    {
        var plan = ArchiverPlanner.Plan(ArchiverState.Empty(Fixtures.ArchiverId), World(Archiver, [Fixtures.Database(), Sharded()]), Now);

        Assert.Equal([Fixtures.DatabaseId, new ResourceId("demo", "mg-sh")], plan.ToCreate.Select(i => i.DatabaseId).Order());
        Assert.Equal(ConditionStatus.False, plan.Conditions.Single(c => c.Type == "Unsupported").Status);
    }

    private static MongoDB Sharded() => WithSpec(
        Fixtures.Database(name: "mg-sh"), "shardTopology", "{\"shard\": {\"shards\": 2, \"replicas\": 3}, \"configServer\": {\"replicas\": 3}, \"mongos\": {\"replicas\": 2}}");

    private static MongoDB WithSpec(MongoDB db, string field, string json) => db with
    {
        Spec = db.Spec! with { Other = new Dictionary<string, System.Text.Json.JsonElement>(db.Spec.Other!) { [field] = System.Text.Json.JsonDocument.Parse(json).RootElement } },
    };

    [Fact]
    public void Unlabelled_databases_are_not_selected()
    {
        Assert.Empty(Plan(World(Fixtures.Database(selected: false))).ToCreate);
    }

    [Fact]
    public void Namespaces_from_Same_never_reaches_another_namespace()
    {
        var same = Created(Fixtures.Archiver(extraSpec: ""), 60) with { };
        same = same with { Spec = same.Spec! with { Databases = same.Spec.Databases! with { Namespaces = new NamespaceSelection { From = NamespaceFrom.Same } } } };
        var inOwn = Fixtures.Database(name: "own", @namespace: "kubedb");
        var plan = ArchiverPlanner.Plan(ArchiverState.Empty(Fixtures.ArchiverId), World(same, [Fixtures.Database(), inOwn]), Now);
        Assert.Equal([new ResourceId("kubedb", "own")], plan.ToCreate.Select(i => i.DatabaseId));
    }

    [Fact]
    public void Namespaces_from_Selector_reaches_only_namespaces_with_matching_labels()
    {
        var archiver = Archiver with { Spec = Archiver.Spec! with { Databases = Archiver.Spec.Databases! with { Namespaces = new NamespaceSelection { From = NamespaceFrom.Selector, Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["backup"] = "on" } } } } } };
        var world = World(archiver, [Fixtures.Database(), Fixtures.Database(name: "other", @namespace: "prod")]) with
        {
            Namespaces = [new NamespaceInfo("demo", new Dictionary<string, string>()), new NamespaceInfo("prod", new Dictionary<string, string> { ["backup"] = "on" }), new NamespaceInfo("stash", new Dictionary<string, string>())],
        };
        var plan = ArchiverPlanner.Plan(ArchiverState.Empty(Fixtures.ArchiverId), world, Now);
        Assert.Equal([new ResourceId("prod", "other")], plan.ToCreate.Select(i => i.DatabaseId));
    }

    [Fact]
    public void A_request_in_flight_is_awaited_not_repeated()
    {
        var (state, request) = Issued(OpsRequestPhase.Progressing);
        var plan = ArchiverPlanner.Plan(state, World(Fixtures.Database()) with { OpsRequests = Requests(request) }, Now);
        Assert.Empty(plan.ToCreate);
        Assert.Equal(ArchiverPhase.Progressing, plan.Phase);
        Assert.Contains(plan.DatabaseRefs, r => r.OpsReqName == request.Metadata.Name && r.OpsReqPhase == OpsRequestPhase.Progressing);
    }

    [Fact]
    public void A_request_waiting_for_a_cause_outside_Archiver_has_the_archivers_Ready_condition_name_it()
    {
        var (state, request) = Issued(OpsRequestPhase.Progressing);
        var waiting = request with
        {
            Status = request.Status! with
            {
                Conditions = [new Condition { Type = "CreateBackupConfiguration", Status = ConditionStatus.False, Reason = OpsRequestConditions.WaitingReason, Message = "waiting for MongoDB demo/mg-rs to be Ready (KubeDB reports status.phase Provisioning)" }],
            },
        };

        var plan = ArchiverPlanner.Plan(state, World(Fixtures.Database()) with { OpsRequests = Requests(waiting) }, Now);

        var ready = plan.Conditions.Single(c => c.Type == "Ready");
        Assert.Equal(ConditionStatus.False, ready.Status);
        Assert.Equal("the archiver is Progressing; demo/mg-rs waits: waiting for MongoDB demo/mg-rs to be Ready (KubeDB reports status.phase Provisioning)", ready.Message);
        // A request that does not wait says nothing more.
        Assert.Equal("the archiver is Progressing", ArchiverPlanner.Plan(state, World(Fixtures.Database()) with { OpsRequests = Requests(request) }, Now).Conditions.Single(c => c.Type == "Ready").Message);
    }

    [Fact]
    public void A_failed_request_blocks_new_ones_until_it_is_deleted()
    {
        var (state, request) = Issued(OpsRequestPhase.Failed);
        var blocked = ArchiverPlanner.Plan(state, World(Fixtures.Database()) with { OpsRequests = Requests(request) }, Now);
        Assert.Empty(blocked.ToCreate);
        Assert.Equal(ArchiverPhase.Blocked, blocked.Phase);
        var condition = blocked.Conditions.Single(c => c.Type == "Blocked");
        Assert.Equal(ConditionStatus.True, condition.Status);
        Assert.Contains($"ops request {ResourceId.Of(request)} failed", condition.Message, StringComparison.Ordinal);

        var stateAfter = blocked.Events.Aggregate(state, (s, e) => s.Apply(e));
        var unblocked = ArchiverPlanner.Plan(stateAfter, World(Fixtures.Database()), Now.AddMinutes(1));
        Assert.Single(unblocked.ToCreate);
    }

    [Fact]
    public void Pause_creates_no_new_work_and_cancels_none()
    {
        var paused = Archiver with { Spec = Archiver.Spec! with { Pause = true } };
        var plan = ArchiverPlanner.Plan(ArchiverState.Empty(Fixtures.ArchiverId), World(paused, [Fixtures.Database()]), Now);
        Assert.Empty(plan.ToCreate);
        Assert.Equal(ArchiverPhase.Paused, plan.Phase);
        Assert.DoesNotContain(plan.Events, e => e is OpsRequestIssued);
    }

    [Fact]
    public void The_oldest_of_two_archivers_selecting_a_database_takes_it_and_the_other_names_it()
    {
        var younger = Created(Fixtures.Archiver(name: "younger"), minutesAgo: 5);
        var world = World(Fixtures.Database()) with { Archivers = [Archiver, younger] };
        Assert.Single(ArchiverPlanner.Plan(ArchiverState.Empty(Fixtures.ArchiverId), world, Now).ToCreate);
        var loser = ArchiverPlanner.Plan(ArchiverState.Empty(ResourceId.Of(younger)), world with { Archiver = younger }, Now);
        Assert.Empty(loser.ToCreate);
        Assert.Contains("also selected by archiver kubedb/archiver-demo", loser.Conditions.Single(c => c.Type == "Conflict").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_database_naming_its_archiver_goes_to_that_one_even_if_younger()
    {
        var younger = Created(Fixtures.Archiver(name: "younger"), minutesAgo: 5);
        var db = Fixtures.Database();
        db = db with { Spec = db.Spec! with { Archiver = new DatabaseArchiverRef { Ref = new ObjectRef { Name = "younger", Namespace = "kubedb" } } } };
        var world = World(db) with { Archivers = [Archiver, younger] };
        var older = ArchiverPlanner.Plan(ArchiverState.Empty(Fixtures.ArchiverId), world, Now);
        Assert.Empty(older.ToCreate);
        Assert.Contains("also selected by archiver kubedb/younger", older.Conditions.Single(c => c.Type == "Conflict").Message, StringComparison.Ordinal);

        // Named at creation and never configured: its own database entity configures it, with no ops request.
        Assert.Empty(ArchiverPlanner.Plan(ArchiverState.Empty(ResourceId.Of(younger)), world with { Archiver = younger }, Now).ToCreate);
        var configuredByOlder = db with { Status = new MongoDBStatus { Archiver = new DatabaseArchiverStatus { Phase = DatabaseArchiverPhase.Disabled } } };
        var takes = ArchiverPlanner.Plan(ArchiverState.Empty(ResourceId.Of(younger)), world with { Archiver = younger, Databases = [configuredByOlder] }, Now);
        Assert.Equal(ArchiverOperationType.ConfigureArchiver, Assert.Single(takes.ToCreate).Operation);
    }

    [Fact]
    public void A_storage_whose_usage_policy_refuses_the_namespace_configures_nothing_and_says_so()
    {
        var storage = Storage("Same");
        var plan = Plan(World(Fixtures.Database()) with { Storage = storage });
        Assert.Empty(plan.ToCreate);
        Assert.Equal(ArchiverPhase.Blocked, plan.Phase);
        Assert.Contains("backup storage stash/local-storage may not be used from namespace demo", plan.Conditions.Single(c => c.Type == "UsageDenied").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_database_whose_storage_goes_missing_is_blocked_not_disabled()
    {
        // Configured by this archiver, then its BackupStorage is deleted (to be made again, or by mistake).
        var (state, request) = Issued(OpsRequestPhase.Successful);
        var configured = Configured(Fixtures.Database(), Hash);
        var world = World(configured) with { Storage = null, OpsRequests = new Dictionary<ResourceId, MongoDBOpsRequest> { [ResourceId.Of(request)] = request } };

        var plan = ArchiverPlanner.Plan(state, world, Now);

        Assert.Empty(plan.ToCreate);
        Assert.Equal(ArchiverPhase.Blocked, plan.Phase);
        Assert.Contains("does not exist", plan.Conditions.Single(c => c.Type == "Blocked").Message, StringComparison.Ordinal);

        // A usage policy that stops allowing the namespace is the storage owner's decision: that disables it.
        var denied = ArchiverPlanner.Plan(state, world with { Storage = Storage("Same") }, Now);
        Assert.Equal(ArchiverOperationType.DisableArchiver, Assert.Single(denied.ToCreate).Operation);
    }

    [Fact]
    public void An_archiver_whose_storage_does_not_exist_names_it_even_before_it_selects_a_database()
    {
        var plan = Plan(World() with { Storage = null });

        Assert.Equal(ArchiverPhase.Blocked, plan.Phase);
        var blocked = plan.Conditions.Single(c => c.Type == "Blocked");
        Assert.Equal((ConditionStatus.True, "BackupStorage stash/local-storage does not exist; no database is configured until it does"), (blocked.Status, blocked.Message));
        Assert.Equal(ConditionStatus.False, plan.Conditions.Single(c => c.Type == "Ready").Status);

        // Once made, nothing is left of it.
        var made = Plan(World() with { Storage = Storage("All") });
        Assert.Equal(ArchiverPhase.Current, made.Phase);
        Assert.Equal(ConditionStatus.False, made.Conditions.Single(c => c.Type == "Blocked").Status);
    }

    [Fact]
    public void A_driver_the_node_refuses_blocks_the_archiver_before_any_database_is_configured_and_disables_none()
    {
        const string Refusal = "spec.fullBackup.driver CSISnapshotter (the default) takes volume snapshots, which this node cannot: set spec.fullBackup.driver: Logical";
        var fresh = Plan(World(Fixtures.Database()) with { DriverRefusal = Refusal });

        Assert.Empty(fresh.ToCreate);
        Assert.Equal(ArchiverPhase.Blocked, fresh.Phase);
        var blocked = fresh.Conditions.Single(c => c.Type == "Blocked");
        Assert.Equal((ConditionStatus.True, $"{Refusal}; no database is configured until it does"), (blocked.Status, blocked.Message));

        // Configured before the driver was changed: held, not disabled (changing the driver back resumes it).
        var (state, request) = Issued(OpsRequestPhase.Successful);
        var world = World(Configured(Fixtures.Database(), Hash)) with { OpsRequests = Requests(request), DriverRefusal = Refusal };
        var held = ArchiverPlanner.Plan(state, world, Now);
        Assert.Empty(held.ToCreate);
        Assert.Equal(ArchiverPhase.Blocked, held.Phase);
        Assert.Equal(ArchiverPhase.Current, ArchiverPlanner.Plan(state, world with { DriverRefusal = null }, Now).Phase);
    }

    [Fact]
    public void A_storage_no_node_can_open_blocks_the_archiver_before_any_database_is_configured_and_disables_none()
    {
        var gcs = (BackupStorage)ManifestReader.Read("""
            apiVersion: storage.kubestash.com/v1alpha1
            kind: BackupStorage
            metadata: {name: local-storage, namespace: stash}
            spec:
              storage: {provider: gcs, gcs: {bucket: archiver-backups, secretName: gcs-secret}}
              usagePolicy: {allowedNamespaces: {from: All}}
            """).Resources[0];
        Assert.NotEqual(ArchiverPhase.Blocked, Plan(World(Fixtures.Database()) with { Storage = gcs }).Phase);

        // Every provider KubeStash defines is served today; one modelled before any node can open it blocks, as gcs once did.
        var unserved = gcs with { Spec = gcs.Spec! with { Storage = gcs.Spec.Storage! with { Provider = (StorageProvider)99 } } };
        var fresh = Plan(World(Fixtures.Database()) with { Storage = unserved });

        Assert.Empty(fresh.ToCreate);
        Assert.Equal(ArchiverPhase.Blocked, fresh.Phase);
        var blocked = fresh.Conditions.Single(c => c.Type == "Blocked");
        Assert.Equal(
            (ConditionStatus.True, "BackupStorage stash/local-storage: spec.storage.provider 99 is not supported; use local, s3, gcs or azure; no database is configured until it is"),
            (blocked.Status, blocked.Message));

        // Configured into another storage before the archiver was pointed here: held, not disabled.
        var (state, request) = Issued(OpsRequestPhase.Successful);
        var world = World(Configured(Fixtures.Database(), Hash)) with { OpsRequests = Requests(request), Storage = unserved };
        var held = ArchiverPlanner.Plan(state, world, Now);
        Assert.Empty(held.ToCreate);
        Assert.Equal(ArchiverPhase.Blocked, held.Phase);
        Assert.Equal(ArchiverPhase.Current, ArchiverPlanner.Plan(state, world with { Storage = Storage("All") }, Now).Phase);
    }

    [Fact]
    public void A_database_no_longer_selected_is_disabled_then_released()
    {
        var (state, request) = Issued(OpsRequestPhase.Successful);
        var db = Configured(Fixtures.Database(selected: false), Hash);
        var plan = ArchiverPlanner.Plan(state, World(db) with { OpsRequests = Requests(request) }, Now);
        Assert.Equal(ArchiverOperationType.DisableArchiver, Assert.Single(plan.ToCreate).Operation);

        var afterIssue = plan.Events.Aggregate(state, (s, e) => s.Apply(e));
        var disable = Request(plan.ToCreate[0], OpsRequestPhase.Successful);
        var released = ArchiverPlanner.Plan(afterIssue, World(Fixtures.Database(selected: false)) with { OpsRequests = Requests(disable) }, Now);
        Assert.Contains(released.Events, e => e is DatabaseReleased);
    }

    [Fact]
    public void Deleting_with_Delete_disables_every_database_then_finishes()
    {
        var deleting = Archiver with { Metadata = Meta(Archiver, deleting: true) };
        var (state, request) = Issued(OpsRequestPhase.Successful);
        var plan = ArchiverPlanner.Plan(state, World(deleting, [Configured(Fixtures.Database(), Hash)]) with { OpsRequests = Requests(request) }, Now);
        Assert.Equal(ArchiverPhase.Deleting, plan.Phase);
        Assert.Equal(ArchiverOperationType.DisableArchiver, Assert.Single(plan.ToCreate).Operation);
        Assert.False(plan.FinishDeletion);

        var after = plan.Events.Aggregate(state, (s, e) => s.Apply(e));
        var done = ArchiverPlanner.Plan(after, World(deleting, [Fixtures.Database()]) with { OpsRequests = Requests(Request(plan.ToCreate[0], OpsRequestPhase.Successful)) }, Now);
        Assert.True(done.FinishDeletion);
        Assert.Empty(done.PrefixesToWipe);
    }

    [Fact]
    public void Deleting_with_WipeOut_also_wipes_each_database_folder()
    {
        var wipe = Archiver with { Metadata = Meta(Archiver, deleting: true), Spec = Archiver.Spec! with { DeletionPolicy = ArchiverDeletionPolicy.WipeOut } };
        var (state, request) = Issued(OpsRequestPhase.Successful);
        var plan = ArchiverPlanner.Plan(state, World(wipe, [Configured(Fixtures.Database(), Hash)]) with { OpsRequests = Requests(request) }, Now);
        var after = plan.Events.Aggregate(state, (s, e) => s.Apply(e));
        var done = ArchiverPlanner.Plan(after, World(wipe, [Fixtures.Database()]) with { OpsRequests = Requests(Request(plan.ToCreate[0], OpsRequestPhase.Successful)) }, Now);
        Assert.True(done.FinishDeletion);
        Assert.Equal(["db/MongoDB/demo/mg-rs"], done.PrefixesToWipe);
    }

    [Fact]
    public void Deleting_with_DoNotDelete_leaves_databases_configured()
    {
        var keep = Archiver with { Metadata = Meta(Archiver, deleting: true), Spec = Archiver.Spec! with { DeletionPolicy = ArchiverDeletionPolicy.DoNotDelete } };
        var plan = ArchiverPlanner.Plan(ArchiverState.Empty(Fixtures.ArchiverId), World(keep, [Configured(Fixtures.Database(), Hash)]), Now);
        Assert.Empty(plan.ToCreate);
        Assert.True(plan.FinishDeletion);
    }

    [Fact]
    public void A_request_issued_but_lost_before_creation_is_created_again_by_the_same_name()
    {
        var issued = new OpsRequestIssued(Fixtures.ArchiverId, Fixtures.DatabaseId, new ResourceId("demo", "mg-rs-archiver-configure-1"), ArchiverOperationType.ConfigureArchiver, Hash, Now);
        var state = ArchiverState.Empty(Fixtures.ArchiverId).Apply(new ArchiverSpecObserved(Fixtures.ArchiverId, 1, Hash, false, Now)).Apply(issued);
        var plan = ArchiverPlanner.Plan(state, World(Fixtures.Database()), Now);
        Assert.Equal(issued.OpsRequestId, Assert.Single(plan.ToCreate).OpsRequestId);
        Assert.DoesNotContain(plan.Events, e => e is OpsRequestIssued);
    }

    private static ArchiverPlan Plan(ArchiverWorld world) => ArchiverPlanner.Plan(ArchiverState.Empty(Fixtures.ArchiverId), world, Now);

    private static ArchiverWorld World(params MongoDB[] databases) => World(Archiver, databases);

    private static ArchiverWorld World(MongoDBArchiver archiver, IReadOnlyList<MongoDB> databases) =>
        new(archiver, databases, [new NamespaceInfo("demo", new Dictionary<string, string>()), new NamespaceInfo("kubedb", new Dictionary<string, string>())],
            [archiver], new Dictionary<ResourceId, MongoDBOpsRequest>(), Storage("All"), null);

    private static (ArchiverState State, MongoDBOpsRequest Request) Issued(OpsRequestPhase phase)
    {
        var issued = new OpsRequestIssued(Fixtures.ArchiverId, Fixtures.DatabaseId, new ResourceId("demo", "mg-rs-archiver-configure-1"), ArchiverOperationType.ConfigureArchiver, Hash, Now.AddMinutes(-5));
        var state = ArchiverState.Empty(Fixtures.ArchiverId)
            .Apply(new ArchiverSpecObserved(Fixtures.ArchiverId, 1, Hash, false, Now))
            .Apply(issued)
            .Apply(new OpsRequestPhaseObserved(Fixtures.ArchiverId, Fixtures.DatabaseId, issued.OpsRequestId, phase, Now));
        return (state, Request(issued, phase));
    }

    private static MongoDBOpsRequest Request(OpsRequestIssued issued, OpsRequestPhase phase) => new()
    {
        ApiVersion = MongoDBOpsRequest.ApiVersionName,
        Kind = MongoDBOpsRequest.KindName,
        Metadata = new V1ObjectMeta { Name = issued.OpsRequestId.Name, NamespaceProperty = issued.OpsRequestId.Namespace },
        Status = new MongoDBOpsRequestStatus { Phase = phase },
    };

    private static IReadOnlyDictionary<ResourceId, MongoDBOpsRequest> Requests(params MongoDBOpsRequest[] requests) =>
        requests.ToDictionary(ResourceId.Of);

    private static MongoDB Configured(MongoDB db, string hash)
    {
        db.Metadata.Annotations = new Dictionary<string, string> { [ApiGroups.SpecHashAnnotation] = hash };
        return db with { Spec = db.Spec! with { Archiver = new DatabaseArchiverRef { Ref = new ObjectRef { Name = Fixtures.ArchiverId.Name, Namespace = Fixtures.ArchiverId.Namespace } } } };
    }

    private static BackupStorage Storage(string from) => (BackupStorage)ManifestReader.Read($$$"""
        apiVersion: storage.kubestash.com/v1alpha1
        kind: BackupStorage
        metadata: {name: local-storage, namespace: stash}
        spec:
          storage: {provider: local, local: {mountPath: /backups}}
          usagePolicy: {allowedNamespaces: {from: {{{from}}}}}
        """).Resources[0];

    private static MongoDBArchiver Created(MongoDBArchiver archiver, int minutesAgo)
    {
        archiver.Metadata.CreationTimestamp = Now.AddMinutes(-minutesAgo).UtcDateTime;
        archiver.Metadata.Generation = 1;
        return archiver;
    }

    private static V1ObjectMeta Meta(MongoDBArchiver archiver, bool deleting) => new()
    {
        Name = archiver.Metadata.Name,
        NamespaceProperty = archiver.Metadata.NamespaceProperty,
        CreationTimestamp = archiver.Metadata.CreationTimestamp,
        Generation = 1,
        DeletionTimestamp = deleting ? Now.UtcDateTime : null,
        Finalizers = [ArchiverPlanner.Finalizer],
    };
}
