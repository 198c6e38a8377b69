using System.Text;
using Archiver.Kubernetes;
using Archiver.Storage;
using Archiver.Storage.FullBackups;
using Archiver.Storage.VolumeSnapshots;
using k8s;
using static Archiver.Cluster.Tests.ClusterSession;

namespace Archiver.Cluster.Tests;

/// <summary>
/// The node's volume-snapshot adapter (src/Kubernetes/KubernetesVolumeSnapshotter.cs) against the cluster stand-in's
/// snapshot controller, CSI sidecar and provisioner, for what a restore asks of it: a recorded snapshot bound again in
/// another namespace (and let go), what it refuses to take, and why a claim made from a snapshot has no volume.
/// </summary>
[Trait("Category", "E2E")]
public sealed class VolumeSnapshotterAdapterTests
{
    private const string Snapshots = "/apis/snapshot.storage.k8s.io/v1";

    [Fact]
    public async Task A_recorded_snapshot_is_bound_again_in_another_namespace_and_let_go_without_its_data()
    {
        await using var session = await StartAsync("demo", "dr");
        using var client = Admin(session);
        var adapter = new KubernetesVolumeSnapshotter(client, TimeSpan.FromMilliseconds(100));
        var record = await BackupSnapshotAsync(session, "mg-full-1");

        var copy = await adapter.BindCopyAsync(record, "dr", CancellationToken.None);
        await session.ApplyAsync(ClaimFrom("mg-full-1", "dr", "datadir-mg-0", "1Gi"));
        await adapter.WaitClaimsMadeAsync("dr", ["datadir-mg-0"], CancellationToken.None);
        var bound = await session.WaitForAsync("/api/v1/namespaces/dr/persistentvolumeclaims/datadir-mg-0", c => Text(c?["status"]?["phase"]) == "Bound");
        var again = await adapter.BindCopyAsync(record, "dr", CancellationToken.None); // a resumed restore takes its copy up
        var content = session.Get($"{Snapshots}/volumesnapshotcontents/{KubernetesVolumeSnapshotter.CopyContentName("dr", "mg-full-1")}");
        await adapter.DeleteCopyAsync("dr", "mg-full-1", CancellationToken.None);

        Assert.Equal(record.RestoreSizeBytes, copy.RestoreSizeBytes);
        Assert.Equal(record.SnapshotHandle, copy.SnapshotHandle);
        Assert.Equal(copy.ContentName, again.ContentName);
        Assert.Equal(("Retain", record.SnapshotHandle), (Text(content?["spec"]?["deletionPolicy"]), Text(content?["spec"]?["source"]?["snapshotHandle"])));
        Assert.Equal("true", Text(content?["metadata"]?["labels"]?[KubernetesVolumeSnapshotter.CopyLabel]));
        Assert.Equal("Bound", Text(bound?["status"]?["phase"]));
        await session.WaitForAsync($"{Snapshots}/namespaces/dr/volumesnapshots/mg-full-1", s => s is null);
        await session.WaitForAsync($"{Snapshots}/volumesnapshotcontents/{KubernetesVolumeSnapshotter.CopyContentName("dr", "mg-full-1")}", c => c is null);
        // The backup's own snapshot, and so its data, is untouched: a second copy is made from it as the first was.
        var later = await adapter.BindCopyAsync(record, "dr", CancellationToken.None);
        Assert.Equal(record.SnapshotHandle, later.SnapshotHandle);
    }

    [Fact]
    public async Task A_name_taken_a_handle_the_driver_lacks_or_no_handle_at_all_is_refused_naming_it_and_a_scrub_sees_each_state()
    {
        await using var session = await StartAsync("demo", "dr");
        using var client = Admin(session);
        var adapter = new KubernetesVolumeSnapshotter(client, TimeSpan.FromMilliseconds(100), errorGrace: TimeSpan.FromSeconds(2));
        var record = await BackupSnapshotAsync(session, "mg-full-1");

        // Another snapshot under the name in dr.
        await session.ApplyAsync("""
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata: {name: other, namespace: dr}
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 1Gi}}
            ---
            apiVersion: snapshot.storage.k8s.io/v1
            kind: VolumeSnapshot
            metadata: {name: mg-full-1, namespace: dr}
            spec:
              volumeSnapshotClassName: standin-snapshots
              source: {persistentVolumeClaimName: other}
            """);
        var taken = await Assert.ThrowsAsync<VolumeSnapshotFailedException>(() => adapter.BindCopyAsync(record, "dr", CancellationToken.None));
        Assert.Contains("VolumeSnapshot dr/mg-full-1 exists and is not the copy of the backup's snapshot", taken.Message, StringComparison.Ordinal);

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var lacking = await Assert.ThrowsAsync<VolumeSnapshotFailedException>(() => adapter.BindCopyAsync(record with { Name = "gone", SnapshotHandle = "no-such-snapshot" }, "dr", deadline.Token));
        Assert.Contains("can not find snapshot for snapshotID no-such-snapshot", lacking.Message, StringComparison.Ordinal);

        // What a scrub sees of each: usable, failed, gone.
        Assert.Equal(VolumeSnapshotState.Usable, await adapter.StateOfAsync("demo", "mg-full-1", CancellationToken.None));
        var failed = await adapter.StateOfAsync("dr", "gone", CancellationToken.None);
        Assert.True(failed.Exists);
        Assert.Contains("VolumeSnapshot dr/gone reports an error: Failed to check and update snapshot content", failed.Problem, StringComparison.Ordinal);
        Assert.Equal(VolumeSnapshotState.Gone("VolumeSnapshot demo/nope does not exist"), await adapter.StateOfAsync("demo", "nope", CancellationToken.None));

        var unknown = await Assert.ThrowsAsync<VolumeSnapshotFailedException>(() => adapter.BindCopyAsync(record with { SnapshotHandle = null, Driver = null, ContentName = "snapcontent-deleted" }, "dr", CancellationToken.None));
        Assert.Contains("VolumeSnapshotContent snapcontent-deleted of VolumeSnapshot demo/mg-full-1 does not exist", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_claim_waiting_for_its_snapshot_is_explained_by_its_provisioners_latest_warning()
    {
        await using var session = await StartAsync("demo");
        using var client = Admin(session);
        var adapter = new KubernetesVolumeSnapshotter(client, TimeSpan.FromMilliseconds(100));
        await BackupSnapshotAsync(session, "mg-full-1");
        await session.ApplyAsync(ClaimFrom("mg-full-1", "demo", "datadir-mg-restored-0", "1Gi"));
        await session.ApplyAsync(ClaimFrom("mg-full-1", "demo", "datadir-mg-restored-1", "1Mi"));
        await session.WaitForAsync("/api/v1/namespaces/demo/persistentvolumeclaims/datadir-mg-restored-0", c => Text(c?["status"]?["phase"]) == "Bound");
        ClaimTrouble? trouble = null;
        var before = DateTimeOffset.UtcNow;
        await session.WaitUntilAsync(() => (trouble = adapter.ClaimTroubleAsync("demo", ["datadir-mg-restored-0", "datadir-mg-restored-1", "datadir-mg-restored-2"], CancellationToken.None).GetAwaiter().GetResult()) is not null,
            "the small claim's provisioning failure seen");

        Assert.StartsWith("claim demo/datadir-mg-restored-1 is Pending: ProvisioningFailed: error getting handle for DataSource Type VolumeSnapshot by Name mg-full-1: requested volume size", trouble!.Message, StringComparison.Ordinal);
        Assert.InRange(trouble.Since, before.AddSeconds(-30), DateTimeOffset.UtcNow);
        Assert.Null(await adapter.ClaimTroubleAsync("demo", ["datadir-mg-restored-0", "datadir-mg-restored-2"], CancellationToken.None));
    }

    [Fact]
    public async Task A_transient_snapshot_error_is_waited_out_and_one_that_stays_fails_the_wait_with_its_message()
    {
        await using var session = await StartAsync("demo");
        using var client = Admin(session);
        var adapter = new KubernetesVolumeSnapshotter(client, TimeSpan.FromMilliseconds(100), errorGrace: TimeSpan.FromSeconds(20));
        var record = await BackupSnapshotAsync(session, "mg-full-1");
        var labels = new Dictionary<string, string>();

        // One failed cut, and the next try held: the error stands on the snapshot while the wait goes on; once the try
        // is let go it succeeds and the error is cleared.
        DateTimeOffset cut;
        using (var hold = session.Cluster.HoldSnapshotCuts())
        {
            session.Cluster.FailSnapshotCuts(1, "the storage system is busy");
            await adapter.CreateAsync(new VolumeSnapshotRequest("demo", "mg-full-2", record.Claim, record.ClassName, labels), CancellationToken.None);
            await session.WaitForAsync($"{Snapshots}/namespaces/demo/volumesnapshots/mg-full-2", s => Text(s?["status"]?["error"]?["message"]).Contains("the storage system is busy", StringComparison.Ordinal));
            var waiting = adapter.WaitCutAsync("demo", "mg-full-2", CancellationToken.None);
            await Task.Delay(1000);
            Assert.False(waiting.IsCompleted, waiting.IsFaulted ? waiting.Exception!.GetBaseException().Message : "cut while held");
            hold.Dispose();
            cut = await waiting;
        }

        var ready = await adapter.WaitReadyAsync("demo", "mg-full-2", CancellationToken.None);
        Assert.True(cut > DateTimeOffset.UnixEpoch);
        Assert.Equal(record.RestoreSizeBytes, ready.RestoreSizeBytes);

        // Every cut failing: the error stands past the grace, and the wait fails with it.
        session.Cluster.FailSnapshotCuts(1000, "the storage system is out of space");
        var impatient = new KubernetesVolumeSnapshotter(client, TimeSpan.FromMilliseconds(100), errorGrace: TimeSpan.FromSeconds(2));
        await impatient.CreateAsync(new VolumeSnapshotRequest("demo", "mg-full-3", record.Claim, record.ClassName, labels), CancellationToken.None);
        var failed = await Assert.ThrowsAsync<VolumeSnapshotFailedException>(() => impatient.WaitCutAsync("demo", "mg-full-3", CancellationToken.None));
        Assert.Contains("VolumeSnapshot demo/mg-full-3: ", failed.Message, StringComparison.Ordinal);
        Assert.Contains("the storage system is out of space", failed.Message, StringComparison.Ordinal);
    }

    /// <summary>A claim made from a VolumeSnapshot of its namespace, asking <paramref name="size"/>.</summary>
    private static string ClaimFrom(string snapshot, string @namespace, string name, string size) => $$$"""
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: {{{name}}}, namespace: {{{@namespace}}}}
        spec:
          accessModes: [ReadWriteOnce]
          resources:
            requests: {storage: {{{size}}}}
          dataSource: {apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshot, name: {{{snapshot}}}}
        """;

    private static k8s.Kubernetes Admin(ClusterSession session) =>
        new(KubernetesClientConfiguration.BuildConfigFromConfigFile(new MemoryStream(Encoding.UTF8.GetBytes(session.Cluster.Kubeconfig()))));

    /// <summary>A ready snapshot of a 1Gi claim in demo, recorded as a CSISnapshotter backup records it.</summary>
    private static async Task<VolumeSnapshotRecord> BackupSnapshotAsync(ClusterSession session, string name)
    {
        await session.ApplyAsync($$$"""
            apiVersion: snapshot.storage.k8s.io/v1
            kind: VolumeSnapshotClass
            metadata: {name: standin-snapshots}
            driver: hostpath.csi.k8s.io
            deletionPolicy: Delete
            ---
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata: {name: datadir-mg-0, namespace: demo}
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 1Gi}}
            ---
            apiVersion: snapshot.storage.k8s.io/v1
            kind: VolumeSnapshot
            metadata: {name: {{{name}}}, namespace: demo}
            spec:
              volumeSnapshotClassName: standin-snapshots
              source: {persistentVolumeClaimName: datadir-mg-0}
            """);
        var snapshot = (await session.WaitForAsync($"{Snapshots}/namespaces/demo/volumesnapshots/{name}", s => s?["status"]?["readyToUse"]?.GetValue<bool>() == true))!;
        var contentName = Text(snapshot["status"]?["boundVolumeSnapshotContentName"]);
        var content = session.Get($"{Snapshots}/volumesnapshotcontents/{contentName}");
        var at = DateTimeOffset.UtcNow;
        return new VolumeSnapshotRecord("rs0", "demo", name, "standin-snapshots", "datadir-mg-0", "mg-0.mg-pods.demo.svc:27017", new OplogTimestamp((uint)at.ToUnixTimeSeconds(), 1),
            at.ToUnixTimeMilliseconds(), content?["status"]?["restoreSize"]?.GetValue<long>() ?? 0, contentName,
            Text(content?["status"]?["snapshotHandle"]), Text(content?["spec"]?["driver"]), at, at);
    }
}
