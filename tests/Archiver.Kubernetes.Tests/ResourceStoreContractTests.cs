using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using k8s.Models;
using Database = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Kubernetes.Tests;

/// <summary>
/// The resource store's contract (IResourceStore) against an API server: the emulator, or a real cluster when
/// ARCHIVER_TEST_KUBECONFIG is set. The same rules the embedded store follows.
/// </summary>
public sealed class ResourceStoreContractTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    // Watches list before they watch; give them that moment before the changes a test expects to see.
    private static readonly TimeSpan WatchStart = TimeSpan.FromSeconds(1);

    private readonly KubernetesResourceStore _store = new(server.Client, new KubernetesStoreOptions { RetryDelay = TimeSpan.FromMilliseconds(100) });

    [Fact]
    public async Task A_created_resource_reads_back_with_a_version_and_generation_one()
    {
        var ns = await server.NewNamespaceAsync();
        var created = await _store.CreateAsync(Resources.Database(ns, "mg"));

        var read = await _store.GetAsync<Database>(new ResourceId(ns, "mg"));

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
        var ns = await server.NewNamespaceAsync();
        foreach (var (name, tier) in new[] { ("a", "gold"), ("b", "silver"), ("c", "gold") })
        {
            var db = Resources.Database(ns, name);
            db.Metadata.Labels = new Dictionary<string, string> { ["archiver"] = "true", ["tier"] = tier };
            await _store.CreateAsync(db);
        }

        var gold = await _store.ListAsync<Database>(ns, new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["tier"] = "gold" } });
        var notGold = await _store.ListAsync<Database>(ns, new V1LabelSelector
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
        var ns = await server.NewNamespaceAsync();

        Assert.Null(await _store.GetAsync<Database>(new ResourceId(ns, "absent")));
        Assert.False(await _store.DeleteAsync<Database>(new ResourceId(ns, "absent")));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => _store.ReplaceAsync(Resources.Database(ns, "absent")));
    }

    [Fact]
    public async Task Creating_an_existing_name_conflicts()
    {
        var ns = await server.NewNamespaceAsync();
        await _store.CreateAsync(Resources.Database(ns, "mg"));

        await Assert.ThrowsAsync<ResourceConflictException>(() => _store.CreateAsync(Resources.Database(ns, "mg")));
    }

    [Fact]
    public async Task A_deleted_resource_can_be_created_again_from_its_last_read_copy()
    {
        var ns = await server.NewNamespaceAsync();
        var created = await _store.CreateAsync(Resources.Database(ns, "mg"));
        await _store.DeleteAsync<Database>(new ResourceId(ns, "mg"));

        var again = await _store.CreateAsync(created);

        Assert.NotEqual(created.Metadata.Uid, again.Metadata.Uid);
        Assert.Equal("7.0.8", Resources.VersionOf(again));
    }

    [Fact]
    public async Task A_replace_with_a_stale_resource_version_conflicts()
    {
        var ns = await server.NewNamespaceAsync();
        var first = await _store.CreateAsync(Resources.Database(ns, "mg"));
        await _store.ReplaceAsync(Resources.Database(ns, "mg", "7.0.9") with { Metadata = first.Metadata });

        var stale = Resources.Database(ns, "mg", "8.0.0") with { Metadata = first.Metadata };

        await Assert.ThrowsAsync<ResourceConflictException>(() => _store.ReplaceAsync(stale));
    }

    [Fact]
    public async Task A_spec_change_bumps_the_generation_and_a_status_write_does_not()
    {
        var ns = await server.NewNamespaceAsync();
        var created = await _store.CreateAsync(Resources.Database(ns, "mg"));

        var respecified = await _store.ReplaceAsync(Resources.Database(ns, "mg", "7.0.9", phase: "Ignored") with { Metadata = created.Metadata });
        var reported = await _store.ReplaceStatusAsync(Resources.Database(ns, "mg", "9.9.9", phase: "Ready") with { Metadata = respecified.Metadata });

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
        var one = await server.NewNamespaceAsync();
        var two = await server.NewNamespaceAsync();
        await _store.CreateAsync(Resources.Database(one, "b"));
        await _store.CreateAsync(Resources.Database(one, "a"));
        await _store.CreateAsync(Resources.Database(two, "c"));

        var inOne = await _store.ListAsync<Database>(one);
        var all = await _store.ListAsync<Database>();

        Assert.Equal(["a", "b"], inOne.Select(d => d.Metadata.Name));
        Assert.Contains(all, d => d.Metadata.NamespaceProperty == two && d.Metadata.Name == "c");
        Assert.Contains(all, d => d.Metadata.NamespaceProperty == one && d.Metadata.Name == "a");
    }

    [Fact]
    public async Task Deleting_a_resource_with_a_finalizer_marks_it_until_the_finalizer_goes()
    {
        var ns = await server.NewNamespaceAsync();
        var held = Resources.Database(ns, "mg");
        held.Metadata.Finalizers = ["archiver.kubedb.com/test"];
        await _store.CreateAsync(held);

        Assert.True(await _store.DeleteAsync<Database>(new ResourceId(ns, "mg")));
        var marked = await _store.GetAsync<Database>(new ResourceId(ns, "mg"));
        Assert.NotNull(marked?.Metadata.DeletionTimestamp);

        marked.Metadata.Finalizers = [];
        await _store.ReplaceAsync(marked);
        Assert.Null(await _store.GetAsync<Database>(new ResourceId(ns, "mg")));
    }

    [Fact]
    public async Task Namespaces_come_with_their_labels()
    {
        var ns = await server.NewNamespaceAsync(new Dictionary<string, string> { ["team"] = "db" });

        var found = (await _store.ListNamespacesAsync()).Single(n => n.Name == ns);

        Assert.Equal("db", found.Labels["team"]);
    }

    [Fact]
    public async Task The_watch_reports_each_change_in_order()
    {
        var ns = await server.NewNamespaceAsync();
        await using var watch = new WatchRecorder(_store);
        await Task.Delay(WatchStart);

        var created = await _store.CreateAsync(Resources.Database(ns, "mg"));
        await _store.ReplaceAsync(Resources.Database(ns, "mg", "7.0.9") with { Metadata = created.Metadata });
        await _store.DeleteAsync<Database>(new ResourceId(ns, "mg"));

        Assert.Equal(["Added mg", "Modified mg", "Deleted mg"], await watch.WaitForAsync(ns, 3));
    }

    [Fact]
    public async Task The_watch_resumes_after_its_connection_drops_without_losing_or_repeating_changes()
    {
        var ns = await server.NewNamespaceAsync();
        await using var watch = new WatchRecorder(_store);
        await Task.Delay(WatchStart);
        await _store.CreateAsync(Resources.Database(ns, "one"));
        await watch.WaitForAsync(ns, 1);

        server.DropWatches();
        await _store.CreateAsync(Resources.Database(ns, "two"));
        await _store.CreateAsync(Resources.Database(ns, "three"));

        Assert.Equal(["Added one", "Added two", "Added three"], await watch.WaitForAsync(ns, 3));
        await Task.Delay(500);
        Assert.Equal(3, watch.In(ns).Count);
    }

    [Fact]
    [Trait("Target", "EmulatorOnly")]
    public async Task When_the_history_is_gone_the_watch_lists_again_and_reports_what_it_missed()
    {
        // Forcing 410 Gone needs the emulator's hook; against a real server filter with "Target!=EmulatorOnly".
        var emulator = server.Emulator ?? throw new InvalidOperationException("this test needs the emulator: run with --filter \"Target!=EmulatorOnly\"");
        var ns = await server.NewNamespaceAsync();
        await using var watch = new WatchRecorder(_store);
        await Task.Delay(WatchStart);
        await _store.CreateAsync(Resources.Database(ns, "kept"));
        await _store.CreateAsync(Resources.Database(ns, "removed"));
        await watch.WaitForAsync(ns, 2);

        // Changes while no watch is connected, then the history that would replay them is compacted away.
        emulator.DropWatches();
        await _store.CreateAsync(Resources.Database(ns, "added"));
        await _store.DeleteAsync<Database>(new ResourceId(ns, "removed"));
        emulator.CompactHistory();

        var events = await watch.WaitForAsync(ns, 4);

        Assert.Equal(["Added kept", "Added removed"], events.Take(2));
        Assert.Equal(["Added added", "Deleted removed"], events.Skip(2).Order(StringComparer.Ordinal));
    }
}
