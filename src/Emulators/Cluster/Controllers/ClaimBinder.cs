using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;
using Archiver.Emulators.Cluster.Snapshots;

namespace Archiver.Emulators.Cluster.Controllers;

/// <summary>
/// Dynamic provisioning and binding (the PV controller and a CSI provisioner, reduced): a Pending claim gets a volume
/// of its own, <c>pvc-{uid}</c>, from the stand-in's CSI driver (a folder on this machine), and is Bound with the
/// capacity it asked for. A claim with a data source is provisioned by the external-provisioner's rules
/// (<see cref="SnapshotProvisioner"/>: a VolumeSnapshot's copy once it is ready, else Pending with its events). The
/// folder outlives every pod that mounts it and goes with its claim (reclaim policy Delete, as for dynamically
/// provisioned volumes). No PersistentVolume objects (the API server stand-in does not serve them), no storage
/// classes, no access-mode checks.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class ClaimBinder
{
    private const long DefaultCapacity = 1L << 30;
    private readonly Informer _claims;
    private readonly ApiClient _api;
    private readonly CsiDriver _driver;
    private readonly SnapshotProvisioner _provisioner;
    private readonly StandInLog _log;

    public ClaimBinder(Informer claims, ApiClient api, CsiDriver driver, SnapshotProvisioner provisioner, StandInLog log)
    {
        _claims = claims;
        _api = api;
        _driver = driver;
        _provisioner = provisioner;
        _log = log;
        Loop = new ReconcileLoop("claim binder", ReconcileAsync, TimeSpan.FromSeconds(5), log);
        claims.Changed += (type, claim) =>
        {
            if (type == "DELETED") Release(claim);
            else Loop.Trigger();
        };
    }

    public ReconcileLoop Loop { get; }

    private async Task ReconcileAsync(CancellationToken stop)
    {
        foreach (var claim in _claims.Items().Where(c => !J.Deleting(c) && J.Text(c["status"]?["phase"]) is "" or "Pending"))
        {
            try
            {
                await BindAsync(claim, stop).ConfigureAwait(false);
            }
            catch (ApiException e)
            {
                _log.Write($"claim binder: claim {J.Namespace(claim)}/{J.Name(claim)}: {e.Message}");
            }
        }
    }

    private async Task BindAsync(JsonObject claim, CancellationToken stop)
    {
        var ns = J.Namespace(claim);
        var name = J.Name(claim);
        var requested = J.Text(claim["spec"]?["resources"]?["requests"]?["storage"]);
        var capacity = Quantity.TryParseBytes(requested, out var bytes) ? bytes : DefaultCapacity;
        var preBound = J.Text(claim["spec"]?["volumeName"]);
        var volume = preBound.Length > 0 ? preBound : $"pvc-{J.Uid(claim)}";
        if (preBound.Length > 0)
        {
            if (!Directory.Exists(_driver.VolumeFolder(volume))) _driver.CreateVolume(volume, capacity);
        }
        else
        {
            if (SnapshotProvisioner.HasDataSource(claim))
            {
                if (!await _provisioner.ProvisionAsync(claim, volume, capacity, stop).ConfigureAwait(false)) return;
            }
            else
            {
                _driver.CreateVolume(volume, capacity);
            }

            await _api.MergePatchAsync(Kind.Claim.Item(ns, name), new JsonObject { ["spec"] = new JsonObject { ["volumeName"] = volume } }, stop).ConfigureAwait(false);
        }

        await _api.MergePatchAsync(Kind.Claim.Status(ns, name), new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["phase"] = "Bound",
                ["accessModes"] = claim["spec"]?["accessModes"]?.DeepClone() ?? new JsonArray("ReadWriteOnce"),
                ["capacity"] = new JsonObject { ["storage"] = requested.Length > 0 ? requested : "1Gi" },
            },
        }, stop).ConfigureAwait(false);
        _log.Write($"claim {ns}/{name}: bound to {volume}");
    }

    private void Release(JsonObject claim)
    {
        var volume = J.Text(claim["spec"]?["volumeName"]);
        if (volume.Length == 0) return;
        try
        {
            _driver.DeleteVolume(volume);
            _log.Write($"claim {J.Namespace(claim)}/{J.Name(claim)}: deleted, volume {volume} removed");
        }
        catch (IOException e)
        {
            _log.Write($"claim {J.Namespace(claim)}/{J.Name(claim)}: volume {volume} not removed: {e.Message}");
        }
    }
}
