using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.Controllers;

/// <summary>
/// Dynamic provisioning and binding (the PV controller and a local provisioner, reduced): a Pending claim gets a
/// volume of its own, <c>pvc-{uid}</c>, a folder on this machine, and is Bound with the capacity it asked for. The
/// folder outlives every pod that mounts it and goes with its claim (reclaim policy Delete, as for dynamically
/// provisioned volumes). No PersistentVolume objects (the API server stand-in does not serve them), no storage
/// classes, no access-mode checks.
/// </summary>
internal sealed class ClaimBinder
{
    private readonly Informer _claims;
    private readonly ApiClient _api;
    private readonly Func<string, string> _folder;
    private readonly StandInLog _log;

    public ClaimBinder(Informer claims, ApiClient api, Func<string, string> folder, StandInLog log)
    {
        _claims = claims;
        _api = api;
        _folder = folder;
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
            var ns = J.Namespace(claim);
            var name = J.Name(claim);
            var volume = J.Text(claim["spec"]?["volumeName"]) is { Length: > 0 } named ? named : $"pvc-{J.Uid(claim)}";
            Directory.CreateDirectory(_folder(volume));
            if (J.Text(claim["spec"]?["volumeName"]).Length == 0)
            {
                await _api.MergePatchAsync(Kind.Claim.Item(ns, name), new JsonObject { ["spec"] = new JsonObject { ["volumeName"] = volume } }, stop).ConfigureAwait(false);
            }

            await _api.MergePatchAsync(Kind.Claim.Status(ns, name), new JsonObject
            {
                ["status"] = new JsonObject
                {
                    ["phase"] = "Bound",
                    ["accessModes"] = claim["spec"]?["accessModes"]?.DeepClone() ?? new JsonArray("ReadWriteOnce"),
                    ["capacity"] = new JsonObject { ["storage"] = J.Text(claim["spec"]?["resources"]?["requests"]?["storage"]) is { Length: > 0 } size ? size : "1Gi" },
                },
            }, stop).ConfigureAwait(false);
            _log.Write($"claim {ns}/{name}: bound to {volume}");
        }
    }

    private void Release(JsonObject claim)
    {
        var volume = J.Text(claim["spec"]?["volumeName"]);
        if (volume.Length == 0) return;
        try
        {
            if (Directory.Exists(_folder(volume))) Directory.Delete(_folder(volume), recursive: true);
            _log.Write($"claim {J.Namespace(claim)}/{J.Name(claim)}: deleted, volume {volume} removed");
        }
        catch (IOException e)
        {
            _log.Write($"claim {J.Namespace(claim)}/{J.Name(claim)}: volume {volume} not removed: {e.Message}");
        }
    }
}
