using Akka.Actor;
using Archiver.Actors.Embedded;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Messages.Configuration;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;
using Xunit.Abstractions;

namespace Archiver.Actors.Tests;

public sealed class OpsRequestActorSpecs(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestSystem.Actors, "archiver", output)
{
    private static readonly ResourceId RequestId = new("demo", "mg-rs-configure");
    private static readonly OpsRequestSettings FastRetries = new() { MaxAttempts = 3, FirstBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200) };
    private readonly InProcessWorkloads _workloads = new();

    [Fact]
    public async Task A_configure_request_runs_every_step_and_configures_the_database()
    {
        var (store, steps) = await SetUpAsync();
        var entity = Start(store, steps);

        var state = await FinishedAsync(entity);

        Assert.Equal(OpsRequestPhase.Successful, state.Phase);
        Assert.Equal(OpsRequestPlans.Configure.Count, state.Completed);
        Assert.All(OpsRequestPlans.Configure, step => Assert.Contains(state.Conditions, c => c.Type == step.ToString() && c.Status == ConditionStatus.True));
        Assert.NotNull(await store.GetAsync<BackupConfiguration>(new ResourceId("demo", "mg-rs-archiver")));
        Assert.NotNull(await store.GetAsync<Snapshot>(new ResourceId("demo", "mg-rs-incremental")));
        var db = (await store.GetAsync<MongoDB>(Fixtures.DatabaseId))!;
        var hash = SpecHash.Compute(Fixtures.Archiver().Spec!);
        Assert.Equal(hash, db.Metadata.Annotations![ApiGroups.SpecHashAnnotation]);
        Assert.Equal("archiver-demo", db.Spec!.Archiver!.Ref!.Name);
        Assert.Equal(DatabaseArchiverPhase.Archiving, db.Status!.Archiver!.Phase);
        Assert.Equal("6.0.12", db.Spec.Other!["version"].GetString());
        Assert.Equal(TimeSpan.FromSeconds(2), _workloads.Archiving[Fixtures.DatabaseId].ChunkMaxAge);
        Assert.Equal("db/MongoDB/demo/mg-rs", _workloads.Archiving[Fixtures.DatabaseId].Prefix);
        Assert.Equal(1, _workloads.RestartsOf(Fixtures.DatabaseId));
        await AwaitAssertAsync(async () => Assert.Equal(OpsRequestPhase.Successful, (await store.GetAsync<MongoDBOpsRequest>(RequestId))!.Status?.Phase));
    }

    [Fact]
    public async Task Starting_twice_accepts_once()
    {
        var (store, steps) = await SetUpAsync();
        var entity = Start(store, steps);
        entity.Tell(Command(store), TestActor);
        await FinishedAsync(entity);
        Assert.Equal(1, steps.Runs(OpsRequestStep.CreateBackupConfiguration));
    }

    [Fact]
    public async Task A_transient_failure_is_retried_and_recorded()
    {
        var (store, steps) = await SetUpAsync();
        steps.FailNext(OpsRequestStep.StartArchiving, new IOException("sidecar image pull failed"));
        var state = await FinishedAsync(Start(store, steps));
        Assert.Equal(OpsRequestPhase.Successful, state.Phase);
        Assert.Equal(2, steps.Runs(OpsRequestStep.StartArchiving));
    }

    [Fact]
    public async Task Retries_run_out_and_the_request_fails_with_the_reason()
    {
        var (store, steps) = await SetUpAsync();
        steps.FailNext(OpsRequestStep.RestartPods, new IOException("a"), new IOException("b"), new IOException("pods never became ready"));
        var state = await FinishedAsync(Start(store, steps));
        Assert.Equal(OpsRequestPhase.Failed, state.Phase);
        Assert.Equal("RestartPods failed: pods never became ready", state.FailureReason);
        Assert.Equal(3, steps.Runs(OpsRequestStep.RestartPods));
        Assert.Equal(0, steps.Runs(OpsRequestStep.UpdateDatabase));
        var condition = Assert.Single(state.Conditions, c => c.Type == nameof(OpsRequestStep.RestartPods));
        Assert.Equal(ConditionStatus.False, condition.Status);
        Assert.Equal("StepFailed", condition.Reason);
    }

    [Fact]
    public async Task A_missing_database_fails_at_once_without_retries()
    {
        var store = await Fixtures.StoreWithAsync(Fixtures.Archiver());
        await store.CreateAsync(OpsRequest());
        var steps = new ScriptedSteps(new OpsRequestSteps(store, _workloads, TimeProvider.System));
        var state = await FinishedAsync(Start(store, steps));
        Assert.Equal(OpsRequestPhase.Failed, state.Phase);
        Assert.Equal("CreateBackupConfiguration failed: database demo/mg-rs does not exist", state.FailureReason);
        Assert.Equal(1, steps.Runs(OpsRequestStep.CreateBackupConfiguration));
    }

    [Fact]
    public async Task A_database_KubeDB_has_not_made_Ready_is_waited_for_saying_so_and_configured_once_it_is()
    {
        var (store, steps) = await SetUpAsync();
        await SetKubeDbPhaseAsync(store, "Provisioning");
        var entity = Start(store, steps);

        // Tried more times than a failure would be, and still waiting, with nothing created.
        await AwaitAssertAsync(async () =>
        {
            Assert.True(steps.Runs(OpsRequestStep.CreateBackupConfiguration) > FastRetries.MaxAttempts);
            var status = (await store.GetAsync<MongoDBOpsRequest>(RequestId))!.Status;
            Assert.Equal(OpsRequestPhase.Progressing, status?.Phase);
            var waiting = Assert.Single(status!.Conditions!, c => c.Type == nameof(OpsRequestStep.CreateBackupConfiguration));
            Assert.Equal((ConditionStatus.False, "Waiting"), (waiting.Status, waiting.Reason));
            Assert.Equal("waiting for MongoDB demo/mg-rs to be Ready (KubeDB reports status.phase Provisioning)", waiting.Message);
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
        Assert.Null(await store.GetAsync<BackupConfiguration>(new ResourceId("demo", "mg-rs-archiver")));
        Assert.False(_workloads.Archiving.ContainsKey(Fixtures.DatabaseId));

        await SetKubeDbPhaseAsync(store, MongoDB.ReadyPhase);
        var state = await FinishedAsync(entity);

        Assert.Equal(OpsRequestPhase.Successful, state.Phase);
        Assert.True(_workloads.Archiving.ContainsKey(Fixtures.DatabaseId));
        Assert.Equal(1, _workloads.RestartsOf(Fixtures.DatabaseId));
    }

    [Theory]
    [InlineData("secret")]
    [InlineData("forbidden")]
    public async Task A_cause_an_operator_fixes_is_waited_out_past_the_retry_limit_and_the_request_then_succeeds(string cause)
    {
        var (store, steps) = await SetUpAsync();
        // The API server's own words for a missing verb; the adapter's for a secret lacking the storage's keys.
        Exception error = cause == "secret"
            ? new SecretNotFoundException("secret stash/s3-keys has no key 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'")
            : new ResourceForbiddenException("statefulsets.apps \"mg-rs\" is forbidden: User \"system:serviceaccount:archiver:archiver\" cannot update resource \"statefulsets\" in API group \"apps\" in the namespace \"demo\"");
        steps.FailNext(OpsRequestStep.StartArchiving, [.. Enumerable.Repeat(error, 1000)]);
        var entity = Start(store, steps);

        // Tried more times than a failure would be, still Progressing, the condition naming the cause.
        await AwaitAssertAsync(async () =>
        {
            Assert.True(steps.Runs(OpsRequestStep.StartArchiving) > FastRetries.MaxAttempts);
            var status = (await store.GetAsync<MongoDBOpsRequest>(RequestId))!.Status;
            Assert.Equal(OpsRequestPhase.Progressing, status?.Phase);
            var waiting = Assert.Single(status!.Conditions!, c => c.Type == nameof(OpsRequestStep.StartArchiving));
            Assert.Equal((ConditionStatus.False, "Waiting", error.Message), (waiting.Status, waiting.Reason, waiting.Message));
        }, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(50));
        Assert.Equal(0, steps.Runs(OpsRequestStep.RestartPods));

        steps.Fix(OpsRequestStep.StartArchiving);
        var state = await FinishedAsync(entity);

        Assert.Equal(OpsRequestPhase.Successful, state.Phase);
        Assert.True(_workloads.Archiving.ContainsKey(Fixtures.DatabaseId));
    }

    [Fact]
    public void A_wait_is_recorded_once_per_reason_as_a_Waiting_condition_naming_the_cause()
    {
        var accepted = OpsRequestState.Empty(RequestId)
            .Apply(new OpsRequestAccepted(RequestId, ArchiverOperationType.ConfigureArchiver, Fixtures.DatabaseId, Fixtures.ArchiverId, "h", DateTimeOffset.UnixEpoch))
            .Apply(new OpsRequestStepStarted(RequestId, OpsRequestStep.StartArchiving, 1, DateTimeOffset.UnixEpoch));

        var waiting = accepted.Apply(new OpsRequestStepWaiting(RequestId, OpsRequestStep.StartArchiving, "secret stash/s3-keys has no key 'AWS_ACCESS_KEY_ID'", DateTimeOffset.UnixEpoch));

        Assert.Equal(OpsRequestPhase.Progressing, waiting.Phase);
        // Still the step under way: after a crash it is run again.
        Assert.Equal(OpsRequestStep.StartArchiving, waiting.Running);
        var condition = Assert.Single(waiting.Conditions);
        Assert.Equal(("StartArchiving", ConditionStatus.False, "Waiting", "secret stash/s3-keys has no key 'AWS_ACCESS_KEY_ID'"), (condition.Type, condition.Status, condition.Reason, condition.Message));
        Assert.Equal(StepFailureKind.Wait, StepFailures.Classify(new SecretNotFoundException("x")));
        Assert.Equal(StepFailureKind.Wait, StepFailures.Classify(new ResourceForbiddenException("x")));
        Assert.Equal(StepFailureKind.Fail, StepFailures.Classify(new PermanentStepException("x")));
        Assert.Equal(StepFailureKind.Retry, StepFailures.Classify(new IOException("x")));
    }

    [Fact]
    public async Task A_request_for_an_archiver_that_changed_is_skipped_not_failed()
    {
        var (store, steps) = await SetUpAsync();
        var gate = steps.Hold(OpsRequestStep.CreateSnapshot);
        var entity = Start(store, steps);
        await steps.Entered.GetOrAdd(OpsRequestStep.CreateSnapshot, _ => new TaskCompletionSource()).Task.WaitAsync(TimeSpan.FromSeconds(5));
        var archiver = (await store.GetAsync<MongoDBArchiver>(Fixtures.ArchiverId))!;
        await store.ReplaceAsync(archiver with { Spec = archiver.Spec! with { RetentionPolicy = new ObjectRef { Name = "keep-last-9" } } });
        gate.SetResult();

        var state = await FinishedAsync(entity);
        Assert.Equal(OpsRequestPhase.Skipped, state.Phase);
        Assert.StartsWith("archiver kubedb/archiver-demo changed (spec-hash ", state.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configure_request_that_reaches_a_database_of_its_name_being_restored_is_skipped_and_starts_no_archiving()
    {
        var (store, steps) = await SetUpAsync();
        var gate = steps.Hold(OpsRequestStep.CreateSnapshot);
        var entity = Start(store, steps);
        await steps.Entered.GetOrAdd(OpsRequestStep.CreateSnapshot, _ => new TaskCompletionSource()).Task.WaitAsync(TimeSpan.FromSeconds(5));
        // Meanwhile the database was deleted and created again under its name, to be restored.
        await store.DeleteAsync<MongoDB>(Fixtures.DatabaseId);
        var restoring = Fixtures.Database();
        await store.CreateAsync(restoring with
        {
            Spec = restoring.Spec! with
            {
                Init = new MongoDBInit { Archiver = new ArchiverRecovery { RecoveryTimeStamp = DateTimeOffset.UtcNow, Repository = new ObjectRef { Name = "local-storage", Namespace = "stash" } } },
            },
        });
        gate.SetResult();

        var state = await FinishedAsync(entity);
        Assert.Equal(OpsRequestPhase.Skipped, state.Phase);
        Assert.Contains("is being restored", state.FailureReason, StringComparison.Ordinal);
        Assert.False(_workloads.Archiving.ContainsKey(Fixtures.DatabaseId));
    }

    [Fact]
    public async Task A_disable_request_undoes_the_configuration()
    {
        var (store, steps) = await SetUpAsync();
        await FinishedAsync(Start(store, steps));
        var disableId = new ResourceId("demo", "mg-rs-disable");
        var disable = Sys.ActorOf(OpsRequestActor.Props(disableId, steps, store, FastRetries, TimeProvider.System));
        disable.Tell(new StartOpsRequest(disableId, ArchiverOperationType.DisableArchiver, Fixtures.DatabaseId, Fixtures.ArchiverId, null), TestActor);

        var state = await FinishedAsync(disable);
        Assert.Equal(OpsRequestPhase.Successful, state.Phase);
        Assert.Null(await store.GetAsync<BackupConfiguration>(new ResourceId("demo", "mg-rs-archiver")));
        Assert.False(_workloads.Archiving.ContainsKey(Fixtures.DatabaseId));
        var db = (await store.GetAsync<MongoDB>(Fixtures.DatabaseId))!;
        Assert.Null(db.Spec!.Archiver);
        Assert.False(db.Metadata.Annotations?.ContainsKey(ApiGroups.SpecHashAnnotation) ?? false);
        Assert.Equal(DatabaseArchiverPhase.Disabled, db.Status!.Archiver!.Phase);
        Assert.Equal(2, _workloads.RestartsOf(Fixtures.DatabaseId));
    }

    [Fact]
    public async Task After_a_crash_mid_step_it_resumes_at_that_step_and_does_each_side_effect_once()
    {
        var (store, steps) = await SetUpAsync();
        steps.Hold(OpsRequestStep.RestartPods);
        var first = Start(store, steps);
        await steps.Entered.GetOrAdd(OpsRequestStep.RestartPods, _ => new TaskCompletionSource()).Task.WaitAsync(TimeSpan.FromSeconds(5));
        var probe = CreateTestProbe();
        probe.Watch(first);
        Sys.Stop(first);
        probe.ExpectTerminated(first);

        // The same entity again, as sharding restarts a remembered entity on another node: recovered from the journal.
        var again = Sys.ActorOf(OpsRequestActor.Props(RequestId, steps, store, FastRetries, TimeProvider.System));
        var state = await FinishedAsync(again);

        Assert.Equal(OpsRequestPhase.Successful, state.Phase);
        Assert.Equal(1, steps.Runs(OpsRequestStep.CreateBackupConfiguration));
        Assert.Equal(1, steps.Runs(OpsRequestStep.StartArchiving));
        Assert.Equal(2, steps.Runs(OpsRequestStep.RestartPods));
        Assert.Equal(1, _workloads.RestartsOf(Fixtures.DatabaseId));
    }

    [Fact]
    public async Task A_crash_after_a_side_effect_but_before_its_record_does_not_repeat_the_effect()
    {
        var (store, steps) = await SetUpAsync();
        steps.HoldAfter(OpsRequestStep.RestartPods);
        var first = Start(store, steps);
        await steps.Done.GetOrAdd(OpsRequestStep.RestartPods, _ => new TaskCompletionSource()).Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, _workloads.RestartsOf(Fixtures.DatabaseId));
        var probe = CreateTestProbe();
        probe.Watch(first);
        Sys.Stop(first);
        probe.ExpectTerminated(first);

        var again = Sys.ActorOf(OpsRequestActor.Props(RequestId, steps, store, FastRetries, TimeProvider.System));
        var state = await FinishedAsync(again);

        Assert.Equal(OpsRequestPhase.Successful, state.Phase);
        Assert.Equal(2, steps.Runs(OpsRequestStep.RestartPods));
        Assert.Equal(1, _workloads.RestartsOf(Fixtures.DatabaseId));
        var created = (await store.ListAsync<BackupConfiguration>("demo")).Count;
        Assert.Equal(1, created);
    }

    private async Task<(InMemoryResourceStore Store, ScriptedSteps Steps)> SetUpAsync()
    {
        var store = await Fixtures.StoreWithAsync(Fixtures.Archiver(), Fixtures.Database());
        await store.CreateAsync(OpsRequest());
        return (store, new ScriptedSteps(new OpsRequestSteps(store, _workloads, TimeProvider.System)));
    }

    /// <summary>What KubeDB's operator writes: the database's <c>status.phase</c>.</summary>
    private static Task SetKubeDbPhaseAsync(InMemoryResourceStore store, string phase) =>
        store.UpdateStatusAsync<MongoDB>(Fixtures.DatabaseId, db => db with
        {
            Status = (db.Status ?? new MongoDBStatus()) with
            {
                Other = new Dictionary<string, System.Text.Json.JsonElement>(db.Status?.Other ?? new Dictionary<string, System.Text.Json.JsonElement>())
                {
                    ["phase"] = System.Text.Json.JsonSerializer.SerializeToElement(phase),
                },
            },
        });

    private IActorRef Start(InMemoryResourceStore store, ScriptedSteps steps)
    {
        var entity = Sys.ActorOf(OpsRequestActor.Props(RequestId, steps, store, FastRetries, TimeProvider.System));
        entity.Tell(Command(store), TestActor);
        return entity;
    }

    private static StartOpsRequest Command(InMemoryResourceStore store) =>
        new(RequestId, ArchiverOperationType.ConfigureArchiver, Fixtures.DatabaseId, Fixtures.ArchiverId, SpecHash.Compute(Fixtures.Archiver().Spec!));

    private async Task<OpsRequestState> FinishedAsync(IActorRef entity)
    {
        OpsRequestState? state = null;
        await AwaitAssertAsync(async () =>
        {
            state = await entity.Ask<OpsRequestState>(new GetOpsRequestState(RequestId), TimeSpan.FromSeconds(3));
            Assert.True(state.IsTerminal, $"still {state.Phase} at {state.Running}");
        }, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(50));
        return state!;
    }

    private static MongoDBOpsRequest OpsRequest() => new()
    {
        ApiVersion = MongoDBOpsRequest.ApiVersionName,
        Kind = MongoDBOpsRequest.KindName,
        Metadata = new k8s.Models.V1ObjectMeta { Name = RequestId.Name, NamespaceProperty = RequestId.Namespace },
        Spec = new MongoDBOpsRequestSpec
        {
            Type = OpsRequestType.Backup,
            DatabaseRef = new DatabaseRef { Name = Fixtures.DatabaseId.Name },
            Archiver = new ArchiverOperation { Operation = ArchiverOperationType.ConfigureArchiver, Ref = new ObjectRef { Name = Fixtures.ArchiverId.Name, Namespace = Fixtures.ArchiverId.Namespace } },
        },
    };
}
