using System.Text.Json.Nodes;
using static Archiver.Cluster.Tests.ClusterSession;

namespace Archiver.Cluster.Tests;

/// <summary>
/// CSI volume snapshots on the cluster stand-in, driven with kubectl as a user (or a backup Job) drives them: the
/// <c>snapshot.storage.k8s.io/v1</c> kinds as external-snapshotter's CRDs define them (their rules refuse what the API
/// server refuses), a snapshot of a claim cut before it is ready, a claim restored from it with the same files, the
/// deletion policies, the errors the snapshot controller writes into <c>status.error</c>, a restore that waits for its
/// snapshot, and a pre-provisioned content that carries a snapshot into another namespace.
/// </summary>
[Trait("Category", "E2E")]
public sealed class VolumeSnapshotTests
{
    private const string Driver = "hostpath.csi.k8s.io";
    private const string Snapshots = "/apis/snapshot.storage.k8s.io/v1";

    [Fact]
    public async Task The_snapshot_kinds_are_served_as_the_CRDs_define_them_and_refuse_what_their_rules_refuse()
    {
        await using var session = await StartAsync("demo");
        var resources = (await session.Kubectl.RunAsync("api-resources", "--api-group=snapshot.storage.k8s.io", "--no-headers")).Succeeded().Output;
        await session.ApplyAsync(Class("fast", "Delete"));
        await session.ApplyAsync(Claim("data"));

        Assert.Matches(@"volumesnapshotclasses\s+vsclass,vsclasses\s+snapshot.storage.k8s.io/v1\s+false\s+VolumeSnapshotClass", resources);
        Assert.Matches(@"volumesnapshotcontents\s+vsc,vscs\s+snapshot.storage.k8s.io/v1\s+false\s+VolumeSnapshotContent", resources);
        Assert.Matches(@"volumesnapshots\s+vs\s+snapshot.storage.k8s.io/v1\s+true\s+VolumeSnapshot", resources);
        Assert.Contains(
            "The VolumeSnapshot \"both\" is invalid: spec.source: Invalid value: \"object\": exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set",
            await RefusedAsync(session, """
                apiVersion: snapshot.storage.k8s.io/v1
                kind: VolumeSnapshot
                metadata: {name: both, namespace: demo}
                spec: {source: {persistentVolumeClaimName: data, volumeSnapshotContentName: somewhere}}
                """), StringComparison.Ordinal);
        Assert.Contains("spec.source: Required value", await RefusedAsync(session, """
            apiVersion: snapshot.storage.k8s.io/v1
            kind: VolumeSnapshot
            metadata: {name: nothing, namespace: demo}
            spec: {volumeSnapshotClassName: fast}
            """), StringComparison.Ordinal);
        Assert.Contains("spec.volumeSnapshotClassName: Invalid value: \"string\": volumeSnapshotClassName must not be the empty string when set", await RefusedAsync(session, """
            apiVersion: snapshot.storage.k8s.io/v1
            kind: VolumeSnapshot
            metadata: {name: empty-class, namespace: demo}
            spec: {volumeSnapshotClassName: "", source: {persistentVolumeClaimName: data}}
            """), StringComparison.Ordinal);
        Assert.Contains("deletionPolicy: Unsupported value: \"Keep\": supported values: \"Delete\", \"Retain\"", await RefusedAsync(session, Class("odd", "Keep")), StringComparison.Ordinal);
        Assert.Contains("driver: Required value", await RefusedAsync(session, """
            apiVersion: snapshot.storage.k8s.io/v1
            kind: VolumeSnapshotClass
            metadata: {name: driverless}
            deletionPolicy: Delete
            """), StringComparison.Ordinal);
        Assert.Contains("spec.volumeSnapshotRef: Invalid value: \"object\": both spec.volumeSnapshotRef.name and spec.volumeSnapshotRef.namespace must be set", await RefusedAsync(session, $$"""
            apiVersion: snapshot.storage.k8s.io/v1
            kind: VolumeSnapshotContent
            metadata: {name: nameless}
            spec:
              deletionPolicy: Retain
              driver: {{Driver}}
              source: {snapshotHandle: x}
              volumeSnapshotRef: {name: s}
            """), StringComparison.Ordinal);
        // kubectl validates strictly: a misspelt field is refused, not silently dropped.
        Assert.Contains("strict decoding error: unknown field \"spec.source.persistentVolumeClaim\"", await RefusedAsync(session, """
            apiVersion: snapshot.storage.k8s.io/v1
            kind: VolumeSnapshot
            metadata: {name: misspelt, namespace: demo}
            spec: {source: {persistentVolumeClaim: data}}
            """), StringComparison.Ordinal);

        // The source is immutable once set.
        await session.ApplyAsync(Snapshot("snap", "data", "fast"));
        var changed = await session.Kubectl.RunAsync("patch", "volumesnapshot", "snap", "-n", "demo", "--type=merge", "-p", """{"spec":{"source":{"persistentVolumeClaimName":"other"}}}""");
        var swapped = await session.Kubectl.RunAsync("patch", "volumesnapshot", "snap", "-n", "demo", "--type=merge", "-p", """{"spec":{"source":{"persistentVolumeClaimName":null,"volumeSnapshotContentName":"other"}}}""");

        Assert.Contains("spec.source.persistentVolumeClaimName: Invalid value: \"string\": persistentVolumeClaimName is immutable", changed.Error, StringComparison.Ordinal);
        Assert.Contains("spec.source: Invalid value: \"object\": persistentVolumeClaimName is required once set", swapped.Error, StringComparison.Ordinal);
        Assert.Equal("data", Text(session.Get($"{Snapshots}/namespaces/demo/volumesnapshots/snap")?["spec"]?["source"]?["persistentVolumeClaimName"]));
    }

    [Fact]
    public async Task A_snapshot_of_a_claim_is_cut_before_it_is_ready_and_a_claim_restored_from_it_has_the_files_of_the_cut()
    {
        await using var session = await StartAsync(o => o with { SnapshotReadyDelay = TimeSpan.FromSeconds(3) }, "demo");
        await session.ApplyAsync(Class("fast", "Delete"));
        await session.ApplyAsync(Claim("data"));
        var source = await VolumeAsync(session, "demo", "data");
        await File.WriteAllTextAsync(Path.Combine(source, "a.txt"), "first");
        Directory.CreateDirectory(Path.Combine(source, "db", "journal"));
        await File.WriteAllBytesAsync(Path.Combine(source, "db", "journal", "j.0"), [1, 2, 3]);
        var claimVolume = Text(session.Get("/api/v1/namespaces/demo/persistentvolumeclaims/data")?["spec"]?["volumeName"]);

        await session.ApplyAsync(Snapshot("snap", "data", "fast"));
        var cut = await session.WaitForAsync($"{Snapshots}/namespaces/demo/volumesnapshots/snap", s => s?["status"]?["creationTime"] is not null);
        // After the cut the volume changes; the snapshot keeps what was there at the cut.
        await File.WriteAllTextAsync(Path.Combine(source, "a.txt"), "second");
        var claimWhileTaking = session.Get("/api/v1/namespaces/demo/persistentvolumeclaims/data");
        var ready = await session.WaitForAsync($"{Snapshots}/namespaces/demo/volumesnapshots/snap", s => s?["status"]?["readyToUse"]?.GetValue<bool>() == true);
        var content = session.Get($"{Snapshots}/volumesnapshotcontents/{Text(ready!["status"]?["boundVolumeSnapshotContentName"])}")!;
        var claimAfter = await session.WaitForAsync("/api/v1/namespaces/demo/persistentvolumeclaims/data", c => Finalizers(c).Count == 0);
        var listed = (await session.Kubectl.RunAsync("get", "volumesnapshot", "snap", "-n", "demo", "--no-headers")).Succeeded().Output;

        Assert.False(cut!["status"]?["readyToUse"]?.GetValue<bool>());
        Assert.Null(cut["status"]?["restoreSize"]);
        Assert.Equal("1Gi", Text(ready["status"]?["restoreSize"]));
        Assert.Equal($"snapcontent-{Text(ready["metadata"]?["uid"])}", Text(ready["status"]?["boundVolumeSnapshotContentName"]));
        Assert.Equal(Text(cut["status"]?["creationTime"]), Text(ready["status"]?["creationTime"]));
        Assert.Null(ready["status"]?["error"]);
        Assert.Equal(["snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection", "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection"], Finalizers(ready));
        Assert.Equal(["snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection"], Finalizers(content));
        Assert.Equal(Driver, Text(content["spec"]?["driver"]));
        Assert.Equal("Delete", Text(content["spec"]?["deletionPolicy"]));
        Assert.Equal("fast", Text(content["spec"]?["volumeSnapshotClassName"]));
        Assert.Equal(claimVolume, Text(content["spec"]?["source"]?["volumeHandle"]));
        Assert.Equal(("demo", "snap", Text(ready["metadata"]?["uid"])), (Text(content["spec"]?["volumeSnapshotRef"]?["namespace"]), Text(content["spec"]?["volumeSnapshotRef"]?["name"]), Text(content["spec"]?["volumeSnapshotRef"]?["uid"])));
        Assert.Equal(1L << 30, content["status"]?["restoreSize"]?.GetValue<long>());
        Assert.Equal(DateTimeOffset.Parse(Text(ready["status"]?["creationTime"]), System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeSeconds(), content["status"]!["creationTime"]!.GetValue<long>() / 1_000_000_000);
        Assert.Contains("snapshot.storage.kubernetes.io/pvc-as-source-protection", Finalizers(claimWhileTaking));
        Assert.NotNull(claimAfter);
        Assert.Matches(@"^snap\s+true\s+data\s+(<none>\s+)?1Gi\s+fast\s+snapcontent-\S+\s+", listed);
        Assert.Equal(["CreatingSnapshot", "SnapshotCreated", "SnapshotReady"], Events(session, "demo", "snap").Where(r => r is "CreatingSnapshot" or "SnapshotCreated" or "SnapshotReady"));
        // The snapshot machinery asked the API server as its own service accounts, each within its ClusterRole.
        var users = session.Cluster.Api.Authorized.Where(a => a.Group == "snapshot.storage.k8s.io").Select(a => a.User).ToHashSet();
        Assert.Contains("system:serviceaccount:kube-system:snapshot-controller", users);
        Assert.Contains("system:serviceaccount:kube-system:csi-snapshotter", users);

        await session.ApplyAsync(Claim("restored", from: "snap"));
        await session.ApplyAsync(Claim("too-small", from: "snap", size: "512Mi"));
        var restored = await VolumeAsync(session, "demo", "restored");
        await session.WaitUntilAsync(() => Messages(session, "demo", "too-small").Any(m => m.Contains("requested volume size", StringComparison.Ordinal)), "too-small refused");

        Assert.Equal("first", await File.ReadAllTextAsync(Path.Combine(restored, "a.txt")));
        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(Path.Combine(restored, "db", "journal", "j.0")));
        Assert.Contains("Successfully provisioned volume " + Text(session.Get("/api/v1/namespaces/demo/persistentvolumeclaims/restored")?["spec"]?["volumeName"]), Messages(session, "demo", "restored"));
        Assert.Equal("Pending", Text(session.Get("/api/v1/namespaces/demo/persistentvolumeclaims/too-small")?["status"]?["phase"]));
        Assert.Contains("error getting handle for DataSource Type VolumeSnapshot by Name snap: requested volume size 536870912 is less than the size 1073741824 for the source snapshot snap",
            Messages(session, "demo", "too-small"));
    }

    [Fact]
    public async Task Deleting_a_snapshot_deletes_its_content_and_files_under_Delete_keeps_them_under_Retain_and_waits_for_a_restore()
    {
        await using var session = await StartAsync("demo");
        await session.ApplyAsync(Class("fast", "Delete"));
        await session.ApplyAsync(Class("kept", "Retain"));
        await session.ApplyAsync(Claim("data"));
        await File.WriteAllTextAsync(Path.Combine(await VolumeAsync(session, "demo", "data"), "a.txt"), "data");
        await session.ApplyAsync(Snapshot("gone", "data", "fast"));
        await session.ApplyAsync(Snapshot("stays", "data", "kept"));
        var gone = await ReadyAsync(session, "demo", "gone");
        var stays = await ReadyAsync(session, "demo", "stays");
        var goneContent = Text(gone["status"]?["boundVolumeSnapshotContentName"]);
        var staysContent = Text(stays["status"]?["boundVolumeSnapshotContentName"]);
        var goneHandle = Text(session.Get($"{Snapshots}/volumesnapshotcontents/{goneContent}")?["status"]?["snapshotHandle"]);
        var staysHandle = Text(session.Get($"{Snapshots}/volumesnapshotcontents/{staysContent}")?["status"]?["snapshotHandle"]);
        var goneFolder = session.Cluster.SnapshotFolderOf(goneHandle);

        // A claim being restored from a snapshot holds its deletion back.
        await session.ApplyAsync(Claim("waiting", from: "gone", size: "1Mi"));
        await session.WaitUntilAsync(() => Messages(session, "demo", "waiting").Count > 0, "waiting refused");
        (await session.Kubectl.RunAsync("delete", "volumesnapshot", "gone", "-n", "demo", "--wait=false")).Succeeded();
        await session.WaitUntilAsync(() => Events(session, "demo", "gone").Contains("SnapshotDeletePending"), "the deletion held back");
        var held = session.Get($"{Snapshots}/namespaces/demo/volumesnapshots/gone");
        (await session.Kubectl.RunAsync("delete", "pvc", "waiting", "-n", "demo")).Succeeded();
        (await session.Kubectl.RunAsync("delete", "volumesnapshot", "stays", "-n", "demo")).Succeeded();
        await session.WaitForAsync($"{Snapshots}/namespaces/demo/volumesnapshots/gone", s => s is null);
        await session.WaitForAsync($"{Snapshots}/volumesnapshotcontents/{goneContent}", c => c is null);
        var retained = session.Get($"{Snapshots}/volumesnapshotcontents/{staysContent}");

        Assert.NotNull(held?["metadata"]?["deletionTimestamp"]);
        Assert.NotNull(goneFolder);
        Assert.False(Directory.Exists(goneFolder));
        Assert.Null(session.Cluster.SnapshotFolderOf(goneHandle));
        Assert.Null(session.Get($"{Snapshots}/namespaces/demo/volumesnapshots/stays"));
        Assert.NotNull(retained);
        Assert.Equal("yes", Text(retained!["metadata"]?["annotations"]?["snapshot.storage.kubernetes.io/volumesnapshot-being-deleted"]));
        Assert.Equal(["snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection"], Finalizers(retained));
        Assert.Equal("data", await File.ReadAllTextAsync(Path.Combine(session.Cluster.SnapshotFolderOf(staysHandle)!, "a.txt")));

        // A retained content deleted by hand goes; the driver's snapshot stays (Retain).
        (await session.Kubectl.RunAsync("delete", "volumesnapshotcontent", staysContent)).Succeeded();
        Assert.Null(session.Get($"{Snapshots}/volumesnapshotcontents/{staysContent}"));
        Assert.NotNull(session.Cluster.SnapshotFolderOf(staysHandle));
    }

    [Fact]
    public async Task The_controller_names_a_missing_class_a_missing_or_unbound_claim_and_a_missing_default_class_in_status_error()
    {
        await using var session = await StartAsync("demo");
        await session.ApplyAsync(Claim("data"));
        await VolumeAsync(session, "demo", "data");
        await session.ApplyAsync(Class("elsewhere", "Delete", driver: "ebs.csi.aws.com", isDefault: true));
        await session.ApplyAsync(Class("fast", "Delete"));
        // A claim restoring from a snapshot that does not exist stays Pending: unbound.
        await session.ApplyAsync(Claim("pending", from: "nowhere"));
        await session.ApplyAsync(Snapshot("no-class", "data", "nope"));
        await session.ApplyAsync(Snapshot("no-claim", "missing", "fast"));
        await session.ApplyAsync(Snapshot("unbound", "pending", "fast"));
        await session.ApplyAsync(Snapshot("no-default", "data", null));
        await session.ApplyAsync(Snapshot("other-driver", "data", "elsewhere"));

        var noClass = await ErrorAsync(session, "no-class");
        var noClaim = await ErrorAsync(session, "no-claim");
        var unbound = await ErrorAsync(session, "unbound");
        var noDefault = await ErrorAsync(session, "no-default");

        Assert.Equal("Failed to get snapshot class with error volumesnapshotclass.snapshot.storage.k8s.io \"nope\" not found", Text(noClass["status"]?["error"]?["message"]));
        Assert.Null(noClass["status"]?["readyToUse"]);
        Assert.Equal("Failed to create snapshot content with error snapshot controller failed to update no-claim on API server: cannot get claim from snapshot", Text(noClaim["status"]?["error"]?["message"]));
        Assert.False(noClaim["status"]?["readyToUse"]?.GetValue<bool>());
        Assert.Equal("Failed to create snapshot content with error failed to get input parameters to create snapshot unbound: \"the PVC pending is not yet bound to a PV, will not attempt to take a snapshot\"",
            Text(unbound["status"]?["error"]?["message"]));
        Assert.Equal("Failed to set default snapshot class with error cannot find default snapshot class", Text(noDefault["status"]?["error"]?["message"]));
        Assert.True(DateTimeOffset.TryParse(Text(noClaim["status"]?["error"]?["time"]), System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.Contains("GetSnapshotClassFailed", Events(session, "demo", "no-class"));
        Assert.Contains("SnapshotContentCreationFailed", Events(session, "demo", "no-claim"));
        Assert.Contains("SetDefaultSnapshotClassFailed", Events(session, "demo", "no-default"));

        // A class of another driver: its content waits for that driver's sidecar, which this cluster does not run.
        var foreign = await session.WaitForAsync($"{Snapshots}/namespaces/demo/volumesnapshots/other-driver", s => Text(s?["status"]?["boundVolumeSnapshotContentName"]).Length > 0);
        var foreignContent = session.Get($"{Snapshots}/volumesnapshotcontents/{Text(foreign!["status"]?["boundVolumeSnapshotContentName"])}");
        Assert.Equal("ebs.csi.aws.com", Text(foreignContent?["spec"]?["driver"]));
        Assert.Null(foreignContent?["status"]);
        Assert.False(foreign["status"]?["readyToUse"]?.GetValue<bool>());

        // A default class of this driver appears: the snapshot without a class gets it, and is taken.
        await session.ApplyAsync(Class("standard", "Delete", isDefault: true));
        var taken = await ReadyAsync(session, "demo", "no-default");
        Assert.Equal("standard", Text(taken["spec"]?["volumeSnapshotClassName"]));
        Assert.Null(taken["status"]?["error"]);
    }

    [Fact]
    public async Task A_claim_from_a_missing_or_unready_snapshot_stays_Pending_and_binds_once_the_snapshot_is_ready()
    {
        await using var session = await StartAsync(o => o with { SnapshotReadyDelay = TimeSpan.FromSeconds(4) }, "demo");
        await session.ApplyAsync(Class("fast", "Delete"));
        await session.ApplyAsync(Claim("data"));
        await File.WriteAllTextAsync(Path.Combine(await VolumeAsync(session, "demo", "data"), "a.txt"), "later");
        // dataSourceRef, the newer field: the API server fills dataSource from it.
        await session.ApplyAsync("""
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata: {name: restored, namespace: demo}
            spec:
              accessModes: [ReadWriteOnce]
              resources: {requests: {storage: 1Gi}}
              dataSourceRef: {apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshot, name: later}
            """);
        await session.WaitUntilAsync(() => Messages(session, "demo", "restored").Any(m => m.Contains("not found", StringComparison.Ordinal)), "the missing snapshot said");
        var waiting = session.Get("/api/v1/namespaces/demo/persistentvolumeclaims/restored");

        await session.ApplyAsync(Snapshot("later", "data", "fast"));
        await session.WaitForAsync($"{Snapshots}/namespaces/demo/volumesnapshots/later", s => s?["status"]?["creationTime"] is not null);
        await session.WaitUntilAsync(() => Messages(session, "demo", "restored").Contains("error getting handle for DataSource Type VolumeSnapshot by Name later: snapshot later is not Ready"), "the unready snapshot said");
        var stillWaiting = session.Get("/api/v1/namespaces/demo/persistentvolumeclaims/restored");
        var restored = await VolumeAsync(session, "demo", "restored");

        Assert.Equal("Pending", Text(waiting?["status"]?["phase"]));
        Assert.Equal("later", Text(waiting?["spec"]?["dataSource"]?["name"]));
        Assert.Contains("error getting handle for DataSource Type VolumeSnapshot by Name later: error getting snapshot later from api server: volumesnapshots.snapshot.storage.k8s.io \"later\" not found",
            Messages(session, "demo", "restored"));
        Assert.Equal("Pending", Text(stillWaiting?["status"]?["phase"]));
        Assert.Equal("later", await File.ReadAllTextAsync(Path.Combine(restored, "a.txt")));
        // The provisioner takes its protection off once the claim is bound, a moment after: as the external-provisioner does.
        await session.WaitUntilAsync(
            () => !Finalizers(session.Get($"{Snapshots}/namespaces/demo/volumesnapshots/later")).Contains("provisioner.storage.kubernetes.io/volumesnapshot-as-source-protection"),
            "the provisioner's protection taken off the snapshot once the claim is bound");
    }

    [Fact]
    public async Task A_pre_provisioned_content_brings_a_snapshot_into_another_namespace_where_a_claim_is_restored_from_it()
    {
        await using var session = await StartAsync("demo", "other");
        await session.ApplyAsync(Class("kept", "Retain"));
        await session.ApplyAsync(Claim("data"));
        await File.WriteAllTextAsync(Path.Combine(await VolumeAsync(session, "demo", "data"), "a.txt"), "moved");
        await session.ApplyAsync(Snapshot("original", "data", "kept"));
        var original = await ReadyAsync(session, "demo", "original");
        var handle = Text(session.Get($"{Snapshots}/volumesnapshotcontents/{Text(original["status"]?["boundVolumeSnapshotContentName"])}")?["status"]?["snapshotHandle"]);

        await session.ApplyAsync($$"""
            apiVersion: snapshot.storage.k8s.io/v1
            kind: VolumeSnapshotContent
            metadata: {name: imported}
            spec:
              deletionPolicy: Retain
              driver: {{Driver}}
              source: {snapshotHandle: {{handle}}}
              volumeSnapshotRef: {name: imported, namespace: other}
            ---
            apiVersion: snapshot.storage.k8s.io/v1
            kind: VolumeSnapshot
            metadata: {name: imported, namespace: other}
            spec:
              source: {volumeSnapshotContentName: imported}
            ---
            apiVersion: snapshot.storage.k8s.io/v1
            kind: VolumeSnapshotContent
            metadata: {name: bogus}
            spec:
              deletionPolicy: Retain
              driver: {{Driver}}
              source: {snapshotHandle: no-such-snapshot}
              volumeSnapshotRef: {name: bogus, namespace: other}
            ---
            apiVersion: snapshot.storage.k8s.io/v1
            kind: VolumeSnapshot
            metadata: {name: bogus, namespace: other}
            spec:
              source: {volumeSnapshotContentName: bogus}
            """);
        var imported = await ReadyAsync(session, "other", "imported");
        var content = session.Get($"{Snapshots}/volumesnapshotcontents/imported");
        await session.ApplyAsync(Claim("restored", from: "imported", ns: "other"));
        var restored = await VolumeAsync(session, "other", "restored");
        var bogus = await session.WaitForAsync($"{Snapshots}/volumesnapshotcontents/bogus", c => c?["status"]?["error"] is not null);

        Assert.Equal("imported", Text(imported["status"]?["boundVolumeSnapshotContentName"]));
        Assert.Equal(Text(original["status"]?["creationTime"]), Text(imported["status"]?["creationTime"]));
        Assert.Equal("1Gi", Text(imported["status"]?["restoreSize"]));
        Assert.Equal(Text(imported["metadata"]?["uid"]), Text(content?["spec"]?["volumeSnapshotRef"]?["uid"]));
        Assert.Equal(handle, Text(content?["status"]?["snapshotHandle"]));
        Assert.Equal(["snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection"], Finalizers(imported));
        Assert.Equal("moved", await File.ReadAllTextAsync(Path.Combine(restored, "a.txt")));
        Assert.Equal("Failed to check and update snapshot content: failed to list snapshot for content bogus: \"can not find snapshot for snapshotID no-such-snapshot\"",
            Text(bogus!["status"]?["error"]?["message"]));
        Assert.False(bogus["status"]?["readyToUse"]?.GetValue<bool>());
        var bogusSnapshot = await session.WaitForAsync($"{Snapshots}/namespaces/other/volumesnapshots/bogus", s => s?["status"]?["error"] is not null);
        Assert.Equal(Text(bogus["status"]?["error"]?["message"]), Text(bogusSnapshot?["status"]?["error"]?["message"]));
    }

    private static string Class(string name, string policy, string driver = Driver, bool isDefault = false) => $$"""
        apiVersion: snapshot.storage.k8s.io/v1
        kind: VolumeSnapshotClass
        metadata:
          name: {{name}}
          annotations: {snapshot.storage.kubernetes.io/is-default-class: "{{(isDefault ? "true" : "false")}}"}
        driver: {{driver}}
        deletionPolicy: {{policy}}
        """;

    private static string Snapshot(string name, string claim, string? className, string ns = "demo") => $$"""
        apiVersion: snapshot.storage.k8s.io/v1
        kind: VolumeSnapshot
        metadata: {name: {{name}}, namespace: {{ns}}}
        spec:
          {{(className is null ? "" : $"volumeSnapshotClassName: {className}")}}
          source:
            persistentVolumeClaimName: {{claim}}
        """;

    private static string Claim(string name, string? from = null, string size = "1Gi", string ns = "demo") => $$"""
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata: {name: {{name}}, namespace: {{ns}}}
        spec:
          accessModes: [ReadWriteOnce]
          resources:
            requests: {storage: {{size}}}
          {{DataSource(from)}}
        """;

    private static string DataSource(string? snapshot) => snapshot is null ? "" : $"dataSource: {{apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshot, name: {snapshot}}}";

    private static async Task<string> RefusedAsync(ClusterSession session, string manifest)
    {
        var result = await session.Kubectl.RunWithInputAsync(manifest, "create", "-f", "-");
        Assert.True(result.ExitCode != 0, $"kubectl create succeeded: {result.Output}");
        return result.Error;
    }

    private static async Task<string> VolumeAsync(ClusterSession session, string ns, string claim)
    {
        await session.WaitForAsync($"/api/v1/namespaces/{ns}/persistentvolumeclaims/{claim}", c => Text(c?["status"]?["phase"]) == "Bound");
        return session.Cluster.VolumeFolderOf(ns, claim)!;
    }

    private static async Task<JsonObject> ReadyAsync(ClusterSession session, string ns, string name) =>
        (await session.WaitForAsync($"{Snapshots}/namespaces/{ns}/volumesnapshots/{name}", s => s?["status"]?["readyToUse"]?.GetValue<bool>() == true))!;

    private static async Task<JsonObject> ErrorAsync(ClusterSession session, string name) =>
        (await session.WaitForAsync($"{Snapshots}/namespaces/demo/volumesnapshots/{name}", s => s?["status"]?["error"] is not null))!;

    private static List<string> Finalizers(JsonObject? item) => [.. (item?["metadata"]?["finalizers"] as JsonArray ?? []).Select(Text)];

    private static List<JsonObject> EventsAbout(ClusterSession session, string ns, string name) =>
        [.. session.Cluster.Api.List($"/api/v1/namespaces/{ns}/events").Where(e => Text(e["involvedObject"]?["name"]) == name)
            .OrderBy(e => long.Parse(Text(e["metadata"]?["resourceVersion"]), System.Globalization.CultureInfo.InvariantCulture))];

    private static List<string> Events(ClusterSession session, string ns, string name) => [.. EventsAbout(session, ns, name).Select(e => Text(e["reason"]))];

    private static List<string> Messages(ClusterSession session, string ns, string name) =>
        [.. EventsAbout(session, ns, name).Where(e => Text(e["reason"]) is "ProvisioningFailed" or "ProvisioningSucceeded").Select(e => Text(e["message"]))];
}
