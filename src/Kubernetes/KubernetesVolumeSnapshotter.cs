using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Archiver.Storage.FullBackups;
using Archiver.Storage.VolumeSnapshots;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Archiver.Kubernetes;

/// <summary>
/// CSI volume snapshots through the API server: <c>VolumeSnapshot</c> objects of snapshot.storage.k8s.io/v1
/// (kubernetes-csi/external-snapshotter, <c>client/apis/volumesnapshot/v1/types.go</c>), which the cluster's snapshot
/// controller binds to a <c>VolumeSnapshotContent</c> and its CSI driver cuts. Its status is read as that controller
/// writes it: <c>creationTime</c> once the driver has taken the snapshot, <c>readyToUse</c> once it can be restored
/// from, <c>error</c> {message, time} when it failed. Read by polling: a backup waits on one object for seconds.
/// </summary>
/// <param name="errorGrace">
/// How long a snapshot's <c>status.error</c> may stand before a wait fails with it (default <see cref="DefaultErrorGrace"/>).
/// The snapshot controllers keep retrying after an error and clear it on success (external-snapshotter's API:
/// "the snapshot controller will keep retrying when an error occurs during the snapshot creation. Upon success, this error
/// field will be cleared"), so an error is an answer only once it stays.
/// </param>
public sealed class KubernetesVolumeSnapshotter(IKubernetes client, TimeSpan? pollInterval = null, TimeSpan? errorGrace = null) : IVolumeSnapshotter
{
    public static readonly TimeSpan DefaultErrorGrace = TimeSpan.FromSeconds(30);

    public const string Group = "snapshot.storage.k8s.io";

    public const string Version = "v1";

    /// <summary>The label a copy made by <see cref="BindCopyAsync"/> carries (<c>"true"</c>), to find any left behind.</summary>
    public const string CopyLabel = "archiver.kubedb.com/snapshot-copy";

    /// <summary>The annotation on a copy naming the snapshot it copies, <c>{namespace}/{name}</c> (too long for a label value).</summary>
    public const string CopyOfAnnotation = "archiver.kubedb.com/copy-of";

    private readonly TimeSpan _poll = pollInterval ?? TimeSpan.FromMilliseconds(500);

    private readonly TimeSpan _errorGrace = errorGrace ?? DefaultErrorGrace;

    public async Task PrecheckAsync(VolumeSnapshotRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            await CheckClassAsync(request.ClassName, cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
        {
            // VolumeSnapshotClasses are cluster-scoped, and a backup Job's account is bound in its own namespace only
            // (a RoleBinding grants nothing cluster-scoped: kubernetes.io/docs/reference/access-authn-authz/rbac,
            // "RoleBinding and ClusterRoleBinding"). The node checked the class before it made the Job
            // (KubernetesWorkloads.RunBackupJobAsync); one deleted since is the snapshot controller's error on the
            // snapshot (GetSnapshotClassFailed), which the wait for the cut reports.
        }

        var claim = await ReadClaimAsync(request.Namespace, request.Claim, cancellationToken)
            ?? throw new VolumeSnapshotFailedException($"PersistentVolumeClaim {request.Namespace}/{request.Claim} to snapshot does not exist");

        if (claim.Status?.Phase != "Bound")
        {
            throw new VolumeSnapshotFailedException($"PersistentVolumeClaim {request.Namespace}/{request.Claim} is {claim.Status?.Phase ?? "not bound"}; only a bound claim can be snapshot");
        }
    }

    /// <summary>
    /// The VolumeSnapshotClass exists and names its CSI driver (returned); a missing class, or a cluster without the
    /// snapshot CRDs, is a <see cref="VolumeSnapshotFailedException"/> saying so. A refusal (403) is thrown as the
    /// client's exception, for the caller to judge.
    /// </summary>
    public async Task<string> CheckClassAsync(string className, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(className);
        JsonElement snapshotClass;
        try
        {
            snapshotClass = await client.CustomObjects.GetClusterCustomObjectAsync<JsonElement>(Group, Version, "volumesnapshotclasses", className, cancellationToken);
        }
        catch (HttpOperationException e) when (IsMissingKind(e))
        {
            throw new VolumeSnapshotFailedException($"the cluster serves no {Group}/{Version} VolumeSnapshotClass: install the CSI snapshot CRDs and controller (kubernetes-csi/external-snapshotter)");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new VolumeSnapshotFailedException($"VolumeSnapshotClass {className} (spec.fullBackup.csiSnapshotter.volumeSnapshotClassName) does not exist");
        }

        if (!snapshotClass.TryGetProperty("driver", out var driver) || driver.GetString() is not { Length: > 0 } name)
        {
            throw new VolumeSnapshotFailedException($"VolumeSnapshotClass {className} names no driver");
        }

        return name;
    }

    public async Task CreateAsync(VolumeSnapshotRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var body = new JsonObject
        {
            ["apiVersion"] = $"{Group}/{Version}",
            ["kind"] = "VolumeSnapshot",
            ["metadata"] = new JsonObject
            {
                ["name"] = request.Name,
                ["namespace"] = request.Namespace,
                ["labels"] = new JsonObject(request.Labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)JsonValue.Create(l.Value)))),
            },
            ["spec"] = new JsonObject
            {
                ["volumeSnapshotClassName"] = request.ClassName,
                ["source"] = new JsonObject { ["persistentVolumeClaimName"] = request.Claim },
            },
        };
        try
        {
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(body, Group, Version, request.Namespace, "volumesnapshots", cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // The same step run again (its pod restarted): the snapshot asked for then is the one to wait for, if it is of
            // the same claim with the same class; anything else under the name is not ours to take.
            var existing = await ReadAsync(request.Namespace, request.Name, cancellationToken);
            var spec = existing?["spec"];
            if (Text(spec?["source"]?["persistentVolumeClaimName"]) != request.Claim || Text(spec?["volumeSnapshotClassName"]) != request.ClassName)
            {
                throw new VolumeSnapshotFailedException($"VolumeSnapshot {request.Namespace}/{request.Name} exists and is of another claim or class; not taking it");
            }
        }
    }

    public async Task<DateTimeOffset> WaitCutAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var errors = new ErrorClock(_errorGrace);
        while (true)
        {
            var status = await StatusAsync(@namespace, name, errors, cancellationToken);
            if (Text(status?["creationTime"]) is { Length: > 0 } created) return DateTimeOffset.Parse(created, CultureInfo.InvariantCulture);
            await Task.Delay(_poll, cancellationToken);
        }
    }

    public async Task<VolumeSnapshotReady> WaitReadyAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var errors = new ErrorClock(_errorGrace);
        while (true)
        {
            var status = await StatusAsync(@namespace, name, errors, cancellationToken);
            if (status?["readyToUse"]?.GetValueKind() == JsonValueKind.True)
            {
                var created = Text(status["creationTime"]) is { Length: > 0 } at ? DateTimeOffset.Parse(at, CultureInfo.InvariantCulture) : default;
                var size = Text(status["restoreSize"]) is { Length: > 0 } quantity ? (long)new ResourceQuantity(quantity).ToDecimal() : 0;
                var contentName = Text(status["boundVolumeSnapshotContentName"]);
                string? handle = null;
                string? driver = null;
                if (contentName.Length > 0)
                {
                    try
                    {
                        var content = await ReadContentAsync(contentName, cancellationToken);
                        handle = Text(content?["status"]?["snapshotHandle"]) is { Length: > 0 } h ? h : null;
                        driver = Text(content?["spec"]?["driver"]) is { Length: > 0 } d ? d : null;
                    }
                    catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
                    {
                        // The handle is a convenience (binding the snapshot elsewhere); the snapshot is ready without it.
                    }
                }

                return new VolumeSnapshotReady(size, contentName.Length > 0 ? contentName : null, handle, driver, created);
            }

            await Task.Delay(_poll, cancellationToken);
        }
    }

    public async Task<VolumeSnapshotReady> WaitRestorableAsync(string @namespace, string name, string className, CancellationToken cancellationToken)
    {
        await CheckClassAsync(className, cancellationToken);
        if (await ReadAsync(@namespace, name, cancellationToken) is null)
        {
            throw new VolumeSnapshotFailedException($"VolumeSnapshot {@namespace}/{name} does not exist (deleted since its backup was taken)");
        }

        return await WaitReadyAsync(@namespace, name, cancellationToken);
    }

    public async Task<VolumeSnapshotState> StateOfAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var snapshot = await ReadAsync(@namespace, name, cancellationToken);
        if (snapshot is null) return VolumeSnapshotState.Gone($"VolumeSnapshot {@namespace}/{name} does not exist");
        if (Text(snapshot["metadata"]?["deletionTimestamp"]).Length > 0) return VolumeSnapshotState.Gone($"VolumeSnapshot {@namespace}/{name} is being deleted");
        var status = snapshot["status"];
        if (Text(status?["error"]?["message"]) is { Length: > 0 } error) return VolumeSnapshotState.Unusable($"VolumeSnapshot {@namespace}/{name} reports an error: {error}");
        if (status?["readyToUse"]?.GetValueKind() != JsonValueKind.True) return VolumeSnapshotState.Unusable($"VolumeSnapshot {@namespace}/{name} is not ready to use");
        return VolumeSnapshotState.Usable;
    }

    public async Task DeleteAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, @namespace, "volumesnapshots", name, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Gone already.
        }
    }

    public async Task<VolumeSnapshotReady> BindCopyAsync(VolumeSnapshotRecord source, string @namespace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        await CheckClassAsync(source.ClassName, cancellationToken);
        var (handle, driver) = await HandleOfAsync(source, cancellationToken);
        var contentName = CopyContentName(@namespace, source.Name);
        var labels = new JsonObject { [VolumeSnapshotJob.ManagedByLabel] = VolumeSnapshotJob.ManagedBy, [CopyLabel] = "true" };
        var annotations = new JsonObject { [CopyOfAnnotation] = $"{source.Namespace}/{source.Name}" };

        // kubernetes.io/docs/concepts/storage/volume-snapshots ("Pre-provisioned Volume Snapshots", "Converting the volume
        // mode of a Snapshot"): the content names the snapshot it is for, and the snapshot the content; both are created
        // at once and the snapshot controller binds them. Retain: the data belongs to the backup, which its own
        // VolumeSnapshot (and retention) still governs.
        var content = new JsonObject
        {
            ["apiVersion"] = $"{Group}/{Version}",
            ["kind"] = "VolumeSnapshotContent",
            ["metadata"] = new JsonObject { ["name"] = contentName, ["labels"] = labels.DeepClone(), ["annotations"] = annotations.DeepClone() },
            ["spec"] = new JsonObject
            {
                ["deletionPolicy"] = "Retain",
                ["driver"] = driver,
                ["source"] = new JsonObject { ["snapshotHandle"] = handle },
                ["volumeSnapshotClassName"] = source.ClassName,
                ["volumeSnapshotRef"] = new JsonObject { ["namespace"] = @namespace, ["name"] = source.Name },
            },
        };
        try
        {
            await client.CustomObjects.CreateClusterCustomObjectAsync(content, Group, Version, "volumesnapshotcontents", cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            var existing = await ReadContentAsync(contentName, cancellationToken)
                ?? throw new VolumeSnapshotFailedException($"VolumeSnapshotContent {contentName} was deleted while it was being taken up");
            if (Text(existing["spec"]?["source"]?["snapshotHandle"]) != handle)
            {
                throw new VolumeSnapshotFailedException($"VolumeSnapshotContent {contentName} exists and holds another snapshot; not taking it");
            }
        }

        var snapshot = new JsonObject
        {
            ["apiVersion"] = $"{Group}/{Version}",
            ["kind"] = "VolumeSnapshot",
            ["metadata"] = new JsonObject { ["name"] = source.Name, ["namespace"] = @namespace, ["labels"] = labels, ["annotations"] = annotations },
            ["spec"] = new JsonObject
            {
                ["volumeSnapshotClassName"] = source.ClassName,
                ["source"] = new JsonObject { ["volumeSnapshotContentName"] = contentName },
            },
        };
        try
        {
            await client.CustomObjects.CreateNamespacedCustomObjectAsync(snapshot, Group, Version, @namespace, "volumesnapshots", cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            var existing = await ReadAsync(@namespace, source.Name, cancellationToken);
            if (Text(existing?["spec"]?["source"]?["volumeSnapshotContentName"]) != contentName)
            {
                throw new VolumeSnapshotFailedException($"VolumeSnapshot {@namespace}/{source.Name} exists and is not the copy of the backup's snapshot; delete it or restore into another namespace");
            }
        }

        return await WaitReadyAsync(@namespace, source.Name, cancellationToken);
    }

    public async Task DeleteCopyAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        await DeleteAsync(@namespace, name, cancellationToken);
        try
        {
            await client.CustomObjects.DeleteClusterCustomObjectAsync(Group, Version, "volumesnapshotcontents", CopyContentName(@namespace, name), cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Gone already.
        }
    }

    public async Task WaitClaimsMadeAsync(string @namespace, IReadOnlyList<string> claims, CancellationToken cancellationToken)
    {
        foreach (var claim in claims)
        {
            while (await ReadClaimAsync(@namespace, claim, cancellationToken) is null) await Task.Delay(_poll, cancellationToken);
        }
    }

    public async Task<ClaimTrouble?> ClaimTroubleAsync(string @namespace, IReadOnlyList<string> claims, CancellationToken cancellationToken)
    {
        foreach (var name in claims)
        {
            if (await ReadClaimAsync(@namespace, name, cancellationToken) is not { } claim || claim.Status?.Phase is not (null or "Pending")) continue;

            // What `kubectl describe pvc` shows under Events, selected as it selects them.
            var events = await client.CoreV1.ListNamespacedEventAsync(@namespace,
                fieldSelector: $"involvedObject.kind=PersistentVolumeClaim,involvedObject.name={name},involvedObject.uid={claim.Metadata.Uid},type=Warning",
                cancellationToken: cancellationToken);
            var latest = events.Items.MaxBy(When);
            if (latest is null) continue;

            // A recorder aggregates a repeated event (count, firstTimestamp) or records it again a while later: either
            // way the earliest of the same warning is since when the provisioner has said it.
            var since = events.Items.Where(e => e.Reason == latest.Reason && e.Message == latest.Message).Min(e => e.FirstTimestamp ?? When(e));
            return new ClaimTrouble($"claim {@namespace}/{name} is Pending: {latest.Reason}: {latest.Message}", new DateTimeOffset(DateTime.SpecifyKind(since ?? DateTime.UtcNow, DateTimeKind.Utc)));
        }

        return null;
    }

    private static DateTime? When(Corev1Event e) => e.LastTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp;

    /// <summary>
    /// The cluster-scoped content of a copy: named after where the copy lives, so two restores of one backup into two
    /// namespaces get two contents. A name too long for an object (253) keeps its start and a hash of the whole.
    /// </summary>
    public static string CopyContentName(string @namespace, string name)
    {
        var full = $"archiver-{@namespace}-{name}";
        if (full.Length <= 253) return full;
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(full)))[..16];
        return $"{full[..236]}-{hash}";
    }

    /// <summary>
    /// The driver's handle of a recorded snapshot: recorded with it, or read from its content (a backup Job may not read
    /// cluster-scoped contents; the node may).
    /// </summary>
    private async Task<(string Handle, string Driver)> HandleOfAsync(VolumeSnapshotRecord source, CancellationToken cancellationToken)
    {
        if (source.SnapshotHandle is { Length: > 0 } handle && source.Driver is { Length: > 0 } driver) return (handle, driver);
        if (source.ContentName is not { Length: > 0 } contentName)
        {
            throw new VolumeSnapshotFailedException($"VolumeSnapshot {source.Namespace}/{source.Name} was recorded without its content, so its driver's handle is unknown");
        }

        var content = await ReadContentAsync(contentName, cancellationToken)
            ?? throw new VolumeSnapshotFailedException($"VolumeSnapshotContent {contentName} of VolumeSnapshot {source.Namespace}/{source.Name} does not exist (deleted with its snapshot), and no handle was recorded");
        if (Text(content["status"]?["snapshotHandle"]) is { Length: > 0 } read && Text(content["spec"]?["driver"]) is { Length: > 0 } readDriver) return (read, readDriver);
        throw new VolumeSnapshotFailedException($"VolumeSnapshotContent {contentName} of VolumeSnapshot {source.Namespace}/{source.Name} names no snapshot handle");
    }

    /// <summary>A VolumeSnapshotContent (cluster-scoped) by name; null when there is none.</summary>
    private async Task<JsonNode?> ReadContentAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return JsonNode.Parse((await client.CustomObjects.GetClusterCustomObjectAsync<JsonElement>(Group, Version, "volumesnapshotcontents", name, cancellationToken)).GetRawText());
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>A PersistentVolumeClaim by name; null when there is none.</summary>
    private async Task<V1PersistentVolumeClaim?> ReadClaimAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(name, @namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// The snapshot's status; an error it reports (the snapshot controller's <c>status.error</c>) is thrown with its
    /// message once it has stood for the grace, and waited out before that.
    /// </summary>
    private async Task<JsonNode?> StatusAsync(string @namespace, string name, ErrorClock errors, CancellationToken cancellationToken)
    {
        var snapshot = await ReadAsync(@namespace, name, cancellationToken)
            ?? throw new VolumeSnapshotFailedException($"VolumeSnapshot {@namespace}/{name} was deleted while the backup waited for it");
        var status = snapshot["status"];
        if (errors.Standing(Text(status?["error"]?["message"])) is { } error)
        {
            throw new VolumeSnapshotFailedException($"VolumeSnapshot {@namespace}/{name}: {error}");
        }

        return status;
    }

    /// <summary>Since when a wait has seen an error on the snapshot (cleared when the status is clean again).</summary>
    private sealed class ErrorClock(TimeSpan grace)
    {
        private DateTimeOffset? _since;

        /// <summary>The error, once it has stood for the grace; null while there is none or it is younger.</summary>
        public string? Standing(string error)
        {
            if (error.Length == 0)
            {
                _since = null;
                return null;
            }

            var now = DateTimeOffset.UtcNow;
            _since ??= now;
            return now - _since >= grace ? error : null;
        }
    }

    private async Task<JsonNode?> ReadAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            var item = await client.CustomObjects.GetNamespacedCustomObjectAsync<JsonElement>(Group, Version, @namespace, "volumesnapshots", name, cancellationToken);
            return JsonNode.Parse(item.GetRawText());
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// The API server's answer for a kind it does not serve (no CRD installed): a 404 whose Status names no object
    /// (<c>details.name</c>), "the server could not find the requested resource", unlike the 404 of a missing object.
    /// </summary>
    private static bool IsMissingKind(HttpOperationException e)
    {
        if (e.Response.StatusCode != HttpStatusCode.NotFound) return false;
        try
        {
            return JsonNode.Parse(e.Response.Content)?["details"]?["name"] is null;
        }
        catch (JsonException)
        {
            return true;
        }
    }

    private static string Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : "";
}
