using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s.Models;
using Database = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Kubernetes.Tests;

/// <summary>
/// The resource store's contract (IResourceStore): the API server's rules, which both stores keep. It runs against
/// an API server through KubernetesResourceStore (<see cref="ResourceStoreContractTests"/>) and against the embedded
/// node's in-memory store (<see cref="InMemoryResourceStoreContractTests"/>), so the store every actor spec uses
/// refuses what a cluster refuses.
/// </summary>
public abstract class ResourceStoreContract
{
    // Watches list before they watch; give them that moment before the changes a test expects to see.
    protected static readonly TimeSpan WatchStart = TimeSpan.FromSeconds(1);

    // The garbage collector works in the background, as kube-controller-manager's does.
    private static readonly TimeSpan Collection = TimeSpan.FromSeconds(10);

    protected abstract IResourceStore Store { get; }

    protected abstract Task<string> NewNamespaceAsync(IDictionary<string, string>? labels = null);

    /// <summary>Cuts every open watch connection, where there is one to cut.</summary>
    protected abstract void DropWatches();

    [Fact]
    public async Task A_created_resource_reads_back_with_a_version_and_generation_one()
    {
        var ns = await NewNamespaceAsync();
        var created = await Store.CreateAsync(Resources.Database(ns, "mg"));

        var read = await Store.GetAsync<Database>(new ResourceId(ns, "mg"));

        Assert.NotNull(read);
        Assert.False(string.IsNullOrEmpty(created.Metadata.ResourceVersion));
        Assert.Equal(created.Metadata.ResourceVersion, read.Metadata.ResourceVersion);
        Assert.Equal(1, read.Metadata.Generation);
        Assert.Equal("7.0.8", Resources.VersionOf(read));
        Assert.Equal(Database.KindName, read.Kind);
    }

    [Fact]
    public async Task A_list_with_a_label_selector_returns_only_the_matching_resources()
    {
        var ns = await NewNamespaceAsync();
        foreach (var (name, tier) in new[] { ("a", "gold"), ("b", "silver"), ("c", "gold") })
        {
            var db = Resources.Database(ns, name);
            db.Metadata.Labels = new Dictionary<string, string> { ["archiver"] = "true", ["tier"] = tier };
            await Store.CreateAsync(db);
        }

        var gold = await Store.ListAsync<Database>(ns, new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["tier"] = "gold" } });
        var notGold = await Store.ListAsync<Database>(ns, new V1LabelSelector
        {
            MatchLabels = new Dictionary<string, string> { ["archiver"] = "true" },
            MatchExpressions = [new V1LabelSelectorRequirement { Key = "tier", OperatorProperty = "NotIn", Values = ["gold"] }],
        });

        Assert.Equal(["a", "c"], gold.Select(d => d.Metadata.Name));
        Assert.Equal(["b"], notGold.Select(d => d.Metadata.Name));
    }

    [Fact]
    public async Task A_missing_resource_reads_as_null_and_deletes_as_false()
    {
        var ns = await NewNamespaceAsync();

        Assert.Null(await Store.GetAsync<Database>(new ResourceId(ns, "absent")));
        Assert.False(await Store.DeleteAsync<Database>(new ResourceId(ns, "absent")));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => Store.ReplaceAsync(Resources.Database(ns, "absent")));
    }

    [Fact]
    public async Task Creating_an_existing_name_conflicts()
    {
        var ns = await NewNamespaceAsync();
        await Store.CreateAsync(Resources.Database(ns, "mg"));

        await Assert.ThrowsAsync<ResourceConflictException>(() => Store.CreateAsync(Resources.Database(ns, "mg")));
    }

    [Fact]
    public async Task A_deleted_resource_can_be_created_again_from_its_last_read_copy()
    {
        var ns = await NewNamespaceAsync();
        var created = await Store.CreateAsync(Resources.Database(ns, "mg"));
        await Store.DeleteAsync<Database>(new ResourceId(ns, "mg"));

        var again = await Store.CreateAsync(created);

        Assert.NotEqual(created.Metadata.Uid, again.Metadata.Uid);
        Assert.Equal("7.0.8", Resources.VersionOf(again));
    }

    [Fact]
    public async Task A_replace_with_a_stale_resource_version_conflicts()
    {
        var ns = await NewNamespaceAsync();
        var first = await Store.CreateAsync(Resources.Database(ns, "mg"));
        await Store.ReplaceAsync(Resources.Database(ns, "mg", "7.0.9") with { Metadata = first.Metadata });

        var stale = Resources.Database(ns, "mg", "8.0.0") with { Metadata = first.Metadata };

        await Assert.ThrowsAsync<ResourceConflictException>(() => Store.ReplaceAsync(stale));
    }

    [Fact]
    public async Task A_spec_change_bumps_the_generation_and_a_status_write_does_not()
    {
        var ns = await NewNamespaceAsync();
        var created = await Store.CreateAsync(Resources.Database(ns, "mg"));

        var respecified = await Store.ReplaceAsync(Resources.Database(ns, "mg", "7.0.9", phase: "Ignored") with { Metadata = created.Metadata });
        var reported = await Store.ReplaceStatusAsync(Resources.Database(ns, "mg", "9.9.9", phase: "Ready") with { Metadata = respecified.Metadata });

        Assert.Equal(2, respecified.Metadata.Generation);
        Assert.Null(Resources.PhaseOf(respecified)); // the main resource ignores status
        Assert.Equal(2, reported.Metadata.Generation);
        Assert.Equal("7.0.9", Resources.VersionOf(reported)); // the status subresource ignores spec
        Assert.Equal("Ready", Resources.PhaseOf(reported));
        Assert.NotEqual(respecified.Metadata.ResourceVersion, reported.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Lists_by_namespace_or_across_all()
    {
        var one = await NewNamespaceAsync();
        var two = await NewNamespaceAsync();
        await Store.CreateAsync(Resources.Database(one, "b"));
        await Store.CreateAsync(Resources.Database(one, "a"));
        await Store.CreateAsync(Resources.Database(two, "c"));

        var inOne = await Store.ListAsync<Database>(one);
        var all = await Store.ListAsync<Database>();

        Assert.Equal(["a", "b"], inOne.Select(d => d.Metadata.Name));
        Assert.Contains(all, d => d.Metadata.NamespaceProperty == two && d.Metadata.Name == "c");
        Assert.Contains(all, d => d.Metadata.NamespaceProperty == one && d.Metadata.Name == "a");
    }

    [Fact]
    public async Task Deleting_a_resource_with_a_finalizer_marks_it_until_the_finalizer_goes()
    {
        var ns = await NewNamespaceAsync();
        var held = Resources.Database(ns, "mg");
        held.Metadata.Finalizers = ["archiver.kubedb.com/test"];
        await Store.CreateAsync(held);

        Assert.True(await Store.DeleteAsync<Database>(new ResourceId(ns, "mg")));
        var marked = await Store.GetAsync<Database>(new ResourceId(ns, "mg"));
        Assert.NotNull(marked?.Metadata.DeletionTimestamp);

        marked.Metadata.Finalizers = [];
        await Store.ReplaceAsync(marked);
        Assert.Null(await Store.GetAsync<Database>(new ResourceId(ns, "mg")));
    }

    [Fact]
    public async Task Namespaces_come_with_their_labels()
    {
        var ns = await NewNamespaceAsync(new Dictionary<string, string> { ["team"] = "db" });

        var found = (await Store.ListNamespacesAsync()).Single(n => n.Name == ns);

        Assert.Equal("db", found.Labels["team"]);
    }

    [Fact]
    public async Task The_watch_reports_each_change_in_order()
    {
        var ns = await NewNamespaceAsync();
        await using var watch = new WatchRecorder(Store);
        await Task.Delay(WatchStart);

        var created = await Store.CreateAsync(Resources.Database(ns, "mg"));
        await Store.ReplaceAsync(Resources.Database(ns, "mg", "7.0.9") with { Metadata = created.Metadata });
        await Store.DeleteAsync<Database>(new ResourceId(ns, "mg"));

        Assert.Equal(["Added mg", "Modified mg", "Deleted mg"], await watch.WaitForAsync(ns, 3));
    }

    [Fact]
    public async Task The_watch_resumes_after_its_connection_drops_without_losing_or_repeating_changes()
    {
        var ns = await NewNamespaceAsync();
        await using var watch = new WatchRecorder(Store);
        await Task.Delay(WatchStart);
        await Store.CreateAsync(Resources.Database(ns, "one"));
        await watch.WaitForAsync(ns, 1);

        DropWatches();
        await Store.CreateAsync(Resources.Database(ns, "two"));
        await Store.CreateAsync(Resources.Database(ns, "three"));

        Assert.Equal(["Added one", "Added two", "Added three"], await watch.WaitForAsync(ns, 3));
        // A change made after them arrives after any repeat of them would have (a watch delivers in order): the fourth
        // event is the next one, not a fourth or fifth copy.
        await Store.CreateAsync(Resources.Database(ns, "four"));
        Assert.Equal(["Added one", "Added two", "Added three", "Added four"], await watch.WaitForAsync(ns, 4));
        Assert.Equal(4, watch.In(ns).Count);
    }

    [Fact]
    public async Task An_update_without_a_resource_version_is_invalid_as_custom_resources_allow_no_unconditional_update()
    {
        var ns = await NewNamespaceAsync();
        var created = await Store.CreateAsync(Resources.Database(ns, "mg"));
        created.Metadata.ResourceVersion = null;

        var replace = await Assert.ThrowsAsync<ResourceInvalidException>(() => Store.ReplaceAsync(created));
        var status = await Assert.ThrowsAsync<ResourceInvalidException>(() => Store.ReplaceStatusAsync(Resources.Database(ns, "mg", phase: "Ready") with { Metadata = created.Metadata }));

        foreach (var refused in new[] { replace, status })
        {
            // Older servers print the value as "0x0"; the rest is the same.
            Assert.StartsWith("mongodbs.kubedb.com \"mg\" is invalid: metadata.resourceVersion: Invalid value: 0", refused.Message, StringComparison.Ordinal);
            Assert.EndsWith(": must be specified for an update", refused.Message, StringComparison.Ordinal);
        }

        Assert.Null(Resources.PhaseOf((await Store.GetAsync<Database>(new ResourceId(ns, "mg")))!));
    }

    [Fact]
    public async Task An_update_naming_the_uid_of_a_database_deleted_since_conflicts_even_on_the_current_version()
    {
        var ns = await NewNamespaceAsync();
        var first = await Store.CreateAsync(Resources.Database(ns, "mg"));
        await Store.DeleteAsync<Database>(new ResourceId(ns, "mg"));
        var second = await Store.CreateAsync(Resources.Database(ns, "mg"));
        var meantForFirst = new V1ObjectMeta { Name = "mg", NamespaceProperty = ns, Uid = first.Metadata.Uid, ResourceVersion = second.Metadata.ResourceVersion };

        var status = await Assert.ThrowsAsync<ResourceConflictException>(() => Store.ReplaceStatusAsync(Resources.Database(ns, "mg", phase: "Ready") with { Metadata = meantForFirst }));
        await Assert.ThrowsAsync<ResourceConflictException>(() => Store.ReplaceAsync(Resources.Database(ns, "mg", "8.0.0") with { Metadata = meantForFirst }));

        Assert.Contains($"Precondition failed: UID in precondition: {first.Metadata.Uid}, UID in object meta: {second.Metadata.Uid}", status.Message, StringComparison.Ordinal);
        var stored = (await Store.GetAsync<Database>(new ResourceId(ns, "mg")))!;
        Assert.Equal(second.Metadata.ResourceVersion, stored.Metadata.ResourceVersion);
        Assert.Null(Resources.PhaseOf(stored));
    }

    [Fact]
    public async Task An_update_decided_on_a_copy_that_went_stale_is_decided_again_on_the_stored_one()
    {
        var ns = await NewNamespaceAsync();
        var id = new ResourceId(ns, "mg");
        await Store.CreateAsync(Resources.Database(ns, "mg"));
        var stale = (await Store.GetAsync<Database>(id))!;
        // Another writer gets in between this writer's read and its write.
        await Store.UpdateStatusAsync<Database>(id, db => Resources.WithStatus(db, "other", "x"));
        var decidedOn = new List<string?>();

        var written = await Store.UpdateStatusAsync<Database>(id, db =>
        {
            decidedOn.Add(db.Metadata.ResourceVersion);
            return Resources.WithStatus(db, "mine", "y");
        }, read: stale);

        Assert.Equal(2, decidedOn.Count);
        Assert.Equal(stale.Metadata.ResourceVersion, decidedOn[0]);
        Assert.Equal("x", Resources.StatusOf(written!, "other"));
        Assert.Equal("y", Resources.StatusOf(written!, "mine"));
    }

    [Fact]
    public async Task Writers_racing_on_one_status_all_land()
    {
        var ns = await NewNamespaceAsync();
        var id = new ResourceId(ns, "mg");
        await Store.CreateAsync(Resources.Database(ns, "mg"));
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // As many as the helper tries: each write that wins can make each other writer try once more, no more.
        var writers = Enumerable.Range(0, ResourceUpdates.Attempts).Select(w => Task.Run(async () =>
        {
            await start.Task;
            return await Store.UpdateStatusAsync<Database>(id, db => Resources.WithStatus(db, $"w{w}", "done"));
        })).ToArray();

        start.SetResult();
        await Task.WhenAll(writers);

        var stored = (await Store.GetAsync<Database>(id))!;
        Assert.All(Enumerable.Range(0, ResourceUpdates.Attempts), w => Assert.Equal("done", Resources.StatusOf(stored, $"w{w}")));
    }

    [Fact]
    public async Task An_update_with_nothing_to_do_or_of_a_resource_gone_writes_nothing()
    {
        var ns = await NewNamespaceAsync();
        var id = new ResourceId(ns, "mg");
        var created = await Store.CreateAsync(Resources.Database(ns, "mg"));

        Assert.Null(await Store.UpdateAsync<Database>(id, _ => null));
        Assert.Null(await Store.UpdateStatusAsync<Database>(new ResourceId(ns, "absent"), db => Resources.WithStatus(db, "a", "b")));
        Assert.Equal(created.Metadata.ResourceVersion, (await Store.GetAsync<Database>(id))!.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Deleting_an_owner_deletes_its_dependents_in_the_background()
    {
        var ns = await NewNamespaceAsync();
        var owner = await Store.CreateAsync(Resources.Database(ns, "mg"));
        var other = await Store.CreateAsync(Resources.Database(ns, "other"));
        await Store.CreateAsync(Resources.Dependent(ns, "mg-archiver", owner));
        await Store.CreateAsync(Resources.Dependent(ns, "other-archiver", other));

        await Store.DeleteAsync<Database>(ResourceId.Of(owner));

        await Eventually(async () => await Store.GetAsync<BackupConfiguration>(new ResourceId(ns, "mg-archiver")) is null);
        Assert.NotNull(await Store.GetAsync<BackupConfiguration>(new ResourceId(ns, "other-archiver")));
    }

    [Fact]
    public async Task A_dependent_with_a_finalizer_is_marked_deleting_when_its_owner_goes()
    {
        var ns = await NewNamespaceAsync();
        var owner = await Store.CreateAsync(Resources.Database(ns, "mg"));
        var held = Resources.Dependent(ns, "mg-archiver", owner);
        held.Metadata.Finalizers = ["archiver.kubedb.com/test"];
        await Store.CreateAsync(held);

        await Store.DeleteAsync<Database>(ResourceId.Of(owner));

        await Eventually(async () => (await Store.GetAsync<BackupConfiguration>(new ResourceId(ns, "mg-archiver")))?.Metadata.DeletionTimestamp is not null);
    }

    [Fact]
    public async Task A_dependent_another_owner_still_holds_stays_and_loses_the_reference_to_the_owner_gone()
    {
        var ns = await NewNamespaceAsync();
        var gone = await Store.CreateAsync(Resources.Database(ns, "gone"));
        var kept = await Store.CreateAsync(Resources.Database(ns, "kept"));
        var shared = Resources.Dependent(ns, "shared", gone);
        shared.Metadata.OwnerReferences = [.. shared.Metadata.OwnerReferences, Resources.OwnerReference(kept, controller: false)];
        await Store.CreateAsync(shared);

        await Store.DeleteAsync<Database>(ResourceId.Of(gone));

        await Eventually(async () => (await Store.GetAsync<BackupConfiguration>(new ResourceId(ns, "shared")))?.Metadata.OwnerReferences?.Count == 1);
        var left = (await Store.GetAsync<BackupConfiguration>(new ResourceId(ns, "shared")))!;
        Assert.Equal(kept.Metadata.Uid, Assert.Single(left.Metadata.OwnerReferences).Uid);
    }

    [Fact]
    public async Task A_dependent_created_for_an_owner_already_gone_is_collected()
    {
        var ns = await NewNamespaceAsync();
        var owner = await Store.CreateAsync(Resources.Database(ns, "mg"));
        await Store.DeleteAsync<Database>(ResourceId.Of(owner));
        // The name is taken again by another database: the reference names the uid, and that one is gone.
        await Store.CreateAsync(Resources.Database(ns, "mg"));

        await Store.CreateAsync(Resources.Dependent(ns, "mg-archiver", owner));

        await Eventually(async () => await Store.GetAsync<BackupConfiguration>(new ResourceId(ns, "mg-archiver")) is null);
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Collection;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the garbage collector did not act in time");
            await Task.Delay(50);
        }
    }
}
