using Archiver.Messages.Protocol;
using k8s;
using k8s.Models;

namespace Archiver.Kubernetes.Tests;

/// <summary>
/// The sidecar's fence on its own MongoDB, against the emulator or a real API server: publishing is allowed while the
/// database is the incarnation archived, and revoked for good once it is being deleted, gone, or another one by its name.
/// </summary>
public sealed class DatabaseFenceTests(ApiServerFixture server) : IClassFixture<ApiServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly KubernetesResourceStore _store = new(server.Client);

    [Fact]
    public async Task Publishing_is_allowed_while_the_database_lives_and_revoked_once_it_is_being_deleted()
    {
        var ns = await server.NewNamespaceAsync();
        var db = await _store.CreateAsync(Resources.Database(ns, "mg") with
        {
            Metadata = new V1ObjectMeta { Name = "mg", NamespaceProperty = ns, Finalizers = ["test.archiver.kubedb.com/hold"] },
        });
        await using var fence = new DatabaseFence(server.Client, ns, "mg", db.Metadata.Uid);
        fence.Start();

        Assert.True(await fence.AllowedAsync(CancellationToken.None));
        await _store.DeleteAsync<Messages.Resources.MongoDB>(new ResourceId(ns, "mg"));

        await WaitUntilAsync(() => fence.Revoked is not null);
        Assert.False(await fence.AllowedAsync(CancellationToken.None));
        Assert.StartsWith($"MongoDB {ns}/mg is being deleted", fence.Revoked, StringComparison.Ordinal);
        await ReleaseAsync(ns, "mg");
    }

    [Fact]
    public async Task Another_database_by_the_name_or_none_at_all_is_refused_from_the_first_answer()
    {
        var ns = await server.NewNamespaceAsync();
        await _store.CreateAsync(Resources.Database(ns, "mg"));
        await using var other = new DatabaseFence(server.Client, ns, "mg", "the-uid-of-an-earlier-incarnation");
        await using var missing = new DatabaseFence(server.Client, ns, "gone", "any");
        other.Start();
        missing.Start();

        Assert.False(await other.AllowedAsync(CancellationToken.None));
        Assert.False(await missing.AllowedAsync(CancellationToken.None));
        Assert.Contains("is another database now", other.Revoked, StringComparison.Ordinal);
        Assert.Equal($"MongoDB {ns}/gone no longer exists", missing.Revoked);
    }

    [Fact]
    public async Task A_dropped_watch_is_taken_up_again_and_a_deletion_meanwhile_is_seen()
    {
        var ns = await server.NewNamespaceAsync();
        var db = await _store.CreateAsync(Resources.Database(ns, "mg"));
        await using var fence = new DatabaseFence(server.Client, ns, "mg", db.Metadata.Uid);
        fence.Start();
        Assert.True(await fence.AllowedAsync(CancellationToken.None));

        server.DropWatches();
        await _store.DeleteAsync<Messages.Resources.MongoDB>(new ResourceId(ns, "mg"));

        await WaitUntilAsync(() => fence.Revoked is not null);
        Assert.False(await fence.AllowedAsync(CancellationToken.None));
    }

    private async Task ReleaseAsync(string ns, string name) =>
        await server.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), DatabaseFence.Group, "v1alpha2", ns, DatabaseFence.Plural, name);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {Patience.TotalSeconds} s");
            await Task.Delay(50);
        }
    }
}
