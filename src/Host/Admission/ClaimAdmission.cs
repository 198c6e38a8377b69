using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using Archiver.Actors.Ports;
using Archiver.Kubernetes;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s.Models;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Admission;

/// <summary>
/// Decides what a data claim of a KubeDB MongoDB is made from as its StatefulSet creates it (<c>datadir-{db}-{i}</c>,
/// labelled with the database by the StatefulSet's selector). A database restored by the archiver from a base taken by
/// volume snapshot gets every member's claim made from that VolumeSnapshot (its <c>dataSource</c>), as the restore's
/// status names it (<see cref="RestoreProgress.BaseVolumeSnapshot"/>); until the restore has chosen its base the claim
/// is refused for now, and the StatefulSet controller creates it again (it retries a refused create). Any other claim
/// is admitted as it is. Reads only the MongoDB, which the node reads already.
/// </summary>
public sealed partial class ClaimAdmission(IResourceStore store)
{
    public const string SnapshotGroup = "snapshot.storage.k8s.io";

    public async Task<ClaimDecision> DecideAsync(V1PersistentVolumeClaim claim, string @namespace, CancellationToken cancellation)
    {
        var labels = claim.Metadata?.Labels;
        if (labels is null || !labels.TryGetValue(SidecarInjection.InstanceLabel, out var db) || db.Length == 0
            || !labels.TryGetValue(SidecarInjection.NameLabel, out var kind) || kind != SidecarInjection.MongoDbName)
        {
            return ClaimDecision.Unchanged("not a claim of a KubeDB MongoDB");
        }

        if (!DataClaim().IsMatch(claim.Metadata?.Name ?? "") || !claim.Metadata!.Name.StartsWith($"datadir-{db}-", StringComparison.Ordinal))
        {
            return ClaimDecision.Unchanged($"not a data claim of MongoDB {@namespace}/{db}");
        }

        if (claim.Spec?.DataSource is not null || claim.Spec?.DataSourceRef is not null)
        {
            return ClaimDecision.Unchanged("the claim names its own data source");
        }

        var id = new ResourceId(@namespace, db);
        if (await store.GetAsync<MongoDBResource>(id, cancellation) is not { } database) return ClaimDecision.Unchanged($"MongoDB {id} does not exist");
        if (database.Spec?.Init?.Archiver is null) return ClaimDecision.Unchanged($"MongoDB {id} is not restored by the archiver");
        var status = database.Status?.Archiver;
        if (status?.Phase is DatabaseArchiverPhase.RestoreFailed or DatabaseArchiverPhase.Restored)
        {
            // A member added after the restore starts empty and syncs from the others: the snapshot may be gone by then
            // (retention, or a copy in this namespace deleted once every member had its claim).
            return ClaimDecision.Unchanged($"the restore of MongoDB {id} has ended");
        }

        if (status?.Restore?.BaseVolumeSnapshot is { Length: > 0 } snapshot)
        {
            var patch = new JsonArray(new JsonObject
            {
                ["op"] = "add",
                ["path"] = "/spec/dataSource",
                ["value"] = new JsonObject { ["apiGroup"] = SnapshotGroup, ["kind"] = "VolumeSnapshot", ["name"] = snapshot },
            });
            return new ClaimDecision(patch, $"made from VolumeSnapshot {@namespace}/{snapshot}, the base of the restore of MongoDB {id}");
        }

        if (status?.Restore?.BaseSnapshot is not null)
        {
            return ClaimDecision.Unchanged($"the restore of MongoDB {id} loads its base into empty volumes");
        }

        return ClaimDecision.NotYet($"the restore of MongoDB {id} has not chosen its base backup yet; the claim is made once it has (from the base's VolumeSnapshot if it is one)");
    }

    [GeneratedRegex(@"^datadir-.+-[0-9]+$")]
    private static partial Regex DataClaim();
}
