using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;
using Archiver.Emulators.Cluster.Controllers;

namespace Archiver.Emulators.Cluster.Snapshots;

/// <summary>
/// The external-provisioner's handling of a claim with a data source (kubernetes-csi/external-provisioner
/// <c>pkg/controller/controller.go</c>: <c>dataSource</c>, <c>prepareProvision</c>, <c>getSnapshotSource</c>,
/// <c>setSnapshotFinalizer</c>; sig-storage-lib-external-provisioner's events), run as its ServiceAccount with its
/// ClusterRole: a claim whose <c>dataSource</c> (or <c>dataSourceRef</c>) is a VolumeSnapshot is provisioned by the
/// CSI driver as a copy of the snapshot once the snapshot is bound, ready, of this driver and no larger than the
/// claim; until then the claim stays Pending and each attempt is a <c>ProvisioningFailed</c> event in the provisioner's
/// words. A clone (a PersistentVolumeClaim source) is refused as a driver without CLONE_VOLUME refuses it; any other
/// kind is left to a volume populator, which the stand-in does not have.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class SnapshotProvisioner(ApiClient api, Events events, CsiDriver driver, StandInLog log)
{
    /// <summary>Whether the claim names a data source, which only this provisioner may then satisfy.</summary>
    public static bool HasDataSource(JsonObject claim) => claim["spec"]?["dataSource"] is JsonObject || claim["spec"]?["dataSourceRef"] is JsonObject;

    /// <summary>Provisions <paramref name="volume"/> for the claim from its data source; false when it cannot now (said in an event).</summary>
    public async Task<bool> ProvisionAsync(JsonObject claim, string volume, long capacity, CancellationToken stop)
    {
        var ns = J.Namespace(claim);
        await events.RecordAsync(claim, "Normal", "Provisioning", $"External provisioner is provisioning volume for claim \"{ns}/{J.Name(claim)}\"", stop).ConfigureAwait(false);
        var source = claim["spec"]?["dataSource"] as JsonObject;
        var reference = claim["spec"]?["dataSourceRef"] as JsonObject;
        if (source is null && J.Text(reference?["namespace"]).Length > 0)
        {
            return await FailedAsync(claim, "dataSourceRef namespace specified but the CrossNamespaceVolumeDataSource feature is disabled", stop).ConfigureAwait(false);
        }

        var dataSource = source ?? reference!;
        var (kind, name, group) = (J.Text(dataSource["kind"]), J.Text(dataSource["name"]), J.Text(dataSource["apiGroup"]));
        if (name.Length == 0) return await FailedAsync(claim, $"the PVC source not found for PVC {J.Name(claim)}", stop).ConfigureAwait(false);
        switch (kind)
        {
            case "VolumeSnapshot" when group != SnapshotResources.Group:
                return await FailedAsync(claim, $"the PVC source does not belong to the right APIGroup. Expected {SnapshotResources.Group}, Got {group}", stop).ConfigureAwait(false);
            case "VolumeSnapshot":
                break;
            case "PersistentVolumeClaim":
                return await FailedAsync(claim, "CSI driver does not support clone operations: controller CLONE_VOLUME capability is not reported", stop).ConfigureAwait(false);
            default:
                await events.RecordAsync(claim, "Normal", "Provisioning", "Assuming an external populator will provision the volume", stop).ConfigureAwait(false);
                return false;
        }

        string handle;
        try
        {
            handle = await SnapshotSourceAsync(claim, ns, name, capacity, stop).ConfigureAwait(false);
        }
        catch (ControllerException e)
        {
            return await FailedAsync(claim, $"error getting handle for DataSource Type {kind} by Name {name}: {e.Message}", stop).ConfigureAwait(false);
        }

        // The provisioner's finalizer keeps the snapshot while the volume is made from it.
        await SetFinalizerAsync(ns, name, add: true, stop).ConfigureAwait(false);
        try
        {
            driver.CreateVolume(volume, capacity, handle);
        }
        catch (Exception e) when (e is CsiException or IOException)
        {
            await SetFinalizerAsync(ns, name, add: false, stop).ConfigureAwait(false);
            return await FailedAsync(claim, e is CsiException ? e.Message : new CsiException("Internal", e.Message).Message, stop).ConfigureAwait(false);
        }

        await SetFinalizerAsync(ns, name, add: false, stop).ConfigureAwait(false);
        log.Write($"csi-provisioner: claim {ns}/{J.Name(claim)}: volume {volume} from snapshot {ns}/{name} ({handle})");
        await events.RecordAsync(claim, "Normal", "ProvisioningSucceeded", $"Successfully provisioned volume {volume}", stop).ConfigureAwait(false);
        return true;
    }

    // getSnapshotSource: the snapshot read from the API server, with every check the provisioner makes.
    private async Task<string> SnapshotSourceAsync(JsonObject claim, string ns, string name, long capacity, CancellationToken stop)
    {
        JsonObject? snapshot;
        try
        {
            snapshot = await api.GetAsync(Kind.VolumeSnapshot.Item(ns, name), stop).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            throw new ControllerException($"error getting snapshot {name} from api server: {e.Message}");
        }

        if (snapshot is null) throw new ControllerException($"error getting snapshot {name} from api server: volumesnapshots.{SnapshotResources.Group} \"{name}\" not found");
        var finalizers = (snapshot["metadata"]?["finalizers"] as JsonArray ?? []).Select(J.Text);
        if (J.Deleting(snapshot) && !finalizers.Contains(SnapshotNames.ProvisionerFinalizer)) throw new ControllerException($"snapshot {name} is being deleted");
        var bound = J.Text(snapshot["status"]?["boundVolumeSnapshotContentName"]);
        if (bound.Length == 0) throw new ControllerException($"snapshot {name} not bound");
        JsonObject? content;
        try
        {
            content = await api.GetAsync(Kind.VolumeSnapshotContent.Item("", bound), stop).ConfigureAwait(false);
        }
        catch (ApiException)
        {
            content = null;
        }

        if (content is null) throw new ControllerException($"error getting snapshotcontent {bound} for snapshot {name}");
        var reference = content["spec"]?["volumeSnapshotRef"];
        if (J.Text(reference?["uid"]) != J.Uid(snapshot) || J.Text(reference?["namespace"]) != ns || J.Text(reference?["name"]) != name)
        {
            throw new ControllerException($"snapshotcontent {bound} for snapshot {name} is bound to a different snapshot");
        }

        if (J.Text(content["spec"]?["driver"]) != driver.Name)
        {
            throw new ControllerException($"snapshotcontent {bound} for snapshot {name} is not handled by CSI driver of StorageClass {J.Text(claim["spec"]?["storageClassName"])}");
        }

        if (!J.Bool(snapshot["status"]?["readyToUse"], false)) throw new ControllerException($"snapshot {name} is not Ready");
        var handle = J.Text(content["status"]?["snapshotHandle"]);
        if (handle.Length == 0) throw new ControllerException($"snapshot handle {name} is not available");
        if (J.Text(snapshot["status"]?["restoreSize"]) is { Length: > 0 } restoreText && Quantity.TryParseBytes(restoreText, out var restoreSize))
        {
            if (J.Text(claim["spec"]?["resources"]?["requests"]?["storage"]).Length == 0)
            {
                throw new ControllerException($"error getting capacity for PVC {J.Name(claim)} when creating snapshot {name}");
            }

            if (capacity < restoreSize) throw new ControllerException($"requested volume size {capacity} is less than the size {restoreSize} for the source snapshot {name}");
        }

        // --prevent-volume-mode-conversion (on by default): a claim may not change the source's mode unless allowed.
        var sourceMode = J.Text(content["spec"]?["sourceVolumeMode"]);
        var claimMode = J.Text(claim["spec"]?["volumeMode"]);
        if (sourceMode.Length > 0 && claimMode.Length > 0 && sourceMode != claimMode)
        {
            const string allow = "snapshot.storage.kubernetes.io/allow-volume-mode-change";
            var allowed = J.Text(content["metadata"]?["annotations"]?[allow]);
            var prefix = $"requested volume {ns}/{J.Name(claim)} modifies the mode of the source volume but does not have permission to do so. ";
            if (allowed.Length == 0) throw new ControllerException($"{prefix}{allow} annotation is not present on snapshotcontent {bound}");
            if (!bool.TryParse(allowed, out var mayChange)) throw new ControllerException($"{prefix}failed to convert {allow} annotation value to boolean with error: strconv.ParseBool: parsing {GoText.Quote(allowed)}: invalid syntax");
            if (!mayChange) throw new ControllerException($"{prefix}{allow} is set to false on snapshotcontent {bound}");
        }

        return handle;
    }

    private async Task SetFinalizerAsync(string ns, string name, bool add, CancellationToken stop)
    {
        try
        {
            var snapshot = await api.GetAsync(Kind.VolumeSnapshot.Item(ns, name), stop).ConfigureAwait(false);
            if (snapshot is null) return;
            var finalizers = (snapshot["metadata"]?["finalizers"] as JsonArray ?? []).Select(J.Text).ToList();
            if (finalizers.Contains(SnapshotNames.ProvisionerFinalizer) == add) return;
            if (add) finalizers.Add(SnapshotNames.ProvisionerFinalizer);
            else finalizers.Remove(SnapshotNames.ProvisionerFinalizer);
            snapshot["metadata"]!["finalizers"] = new JsonArray([.. finalizers.Select(f => (JsonNode)f)]);
            await api.ReplaceAsync(Kind.VolumeSnapshot.Item(ns, name), snapshot, stop).ConfigureAwait(false);
        }
        catch (ApiException e)
        {
            // The provisioner goes on without the protection (an RBAC without update on snapshots, a conflict).
            log.Write($"csi-provisioner: snapshot {ns}/{name}: {SnapshotNames.ProvisionerFinalizer} not {(add ? "added" : "removed")}: {e.Message}");
        }
    }

    private async Task<bool> FailedAsync(JsonObject claim, string message, CancellationToken stop)
    {
        await events.RecordAsync(claim, "Warning", "ProvisioningFailed", message, stop).ConfigureAwait(false);
        return false;
    }
}
