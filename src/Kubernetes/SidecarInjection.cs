using System.Text.Json.Nodes;
using Archiver.Actors.Databases;
using Archiver.Actors.OpsRequests;
using Archiver.Messages.Configuration;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;
using k8s;
using k8s.Models;

namespace Archiver.Kubernetes;

/// <summary>
/// The sidecar put into a database's pod as the API server admits it, the way Istio's and Linkerd's injectors add
/// their proxies (a mutating webhook on pods CREATE, kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers):
/// KubeDB's operator owns the StatefulSet and may rewrite its pod template without the sidecar
/// (<see cref="KubernetesWorkloads"/> puts it there too), but every pod it then creates still passes admission.
/// The same container and volumes as the template path (<see cref="SidecarContainer.Build"/>,
/// <see cref="SidecarContainer.Volumes"/>), so a pod is the same whichever path gave it the sidecar.
/// A pure decision: the caller reads the resources, this only says what to add.
/// </summary>
public static class SidecarInjection
{
    /// <summary>KubeDB's labels on a MongoDB's pods (kubedb apimachinery, MongoDB.OffshootLabels; src/Emulators/Cluster/KubeDb/MongoDbManifests.cs).</summary>
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";

    public const string ManagedByKubeDb = "kubedb.com";

    public const string NameLabel = "app.kubernetes.io/name";

    public const string MongoDbName = "mongodbs.kubedb.com";

    public const string InstanceLabel = "app.kubernetes.io/instance";

    /// <summary>The pod annotation saying the sidecar came at admission, with the archiver's spec hash it was built from.</summary>
    public const string InjectedAnnotation = "archiver.kubedb.com/injected";

    /// <summary>The MongoDB a pod belongs to by KubeDB's labels, or null for any other pod.</summary>
    public static ResourceId? DatabaseOf(V1Pod pod, string @namespace)
    {
        var labels = pod.Metadata?.Labels;
        if (labels is null) return null;
        return labels.TryGetValue(ManagedByLabel, out var manager) && manager == ManagedByKubeDb
            && labels.TryGetValue(NameLabel, out var name) && name == MongoDbName
            && labels.TryGetValue(InstanceLabel, out var instance) && instance.Length > 0
            ? new ResourceId(@namespace, instance)
            : null;
    }

    /// <summary>
    /// The JSON Patch (RFC 6902) that adds the sidecar and its volumes to <paramref name="pod"/>, or null to admit it
    /// unchanged, with the reason. Archived means the database names an archiver
    /// (<c>spec.archiver</c>), is not waiting for a restore, and has its BackupConfiguration: the configure plan's first
    /// step creates it and the disable plan's first step deletes it (OpsRequestPlans), so the pods a disable rolls
    /// come back without the sidecar although <c>spec.archiver</c> is cleared only at its last step. Or it was created
    /// naming its archiver and is not configured yet (<see cref="DatabaseMutator.NeedsConfigurationAtCreation"/>): its
    /// entity is configuring it, and no disable can be under way.
    /// </summary>
    public static InjectionDecision Decide(V1Pod pod, MongoDB database, MongoDBArchiver? archiver, BackupStorage? storage, BackupConfiguration? configuration, KubernetesWorkloadsOptions options)
    {
        var id = ResourceId.Of(database);
        if (pod.Spec?.Containers?.Any(c => c.Name == options.ContainerName) == true) return InjectionDecision.Unchanged("the pod has the sidecar already");
        // A sharded database's router keeps no oplog: only its config server's and shards' pods archive (MemberWorkloads).
        if (MemberWorkloads.IsRouter(pod.Metadata?.Labels)) return InjectionDecision.Unchanged($"the pod is a router (mongos) of MongoDB {id}, which keeps no oplog");
        if (DatabaseMutator.ArchiverOf(database) is not { } archiverId) return InjectionDecision.Unchanged($"MongoDB {id} names no archiver");
        if (DatabaseMutator.RestorePending(database)) return InjectionDecision.Unchanged($"MongoDB {id} is being restored");
        // A database created naming its archiver (the MongoDB webhook sets spec.archiver before KubeDB sees it) is being
        // configured by its own entity with no ops request and no restart: its first pods get the sidecar here, even
        // before its BackupConfiguration exists, since KubeDB's workloads never roll by themselves (OnDelete).
        if (configuration is null && !DatabaseMutator.NeedsConfigurationAtCreation(database))
        {
            return InjectionDecision.Unchanged($"MongoDB {id} is not configured for archiving (no BackupConfiguration)");
        }

        if (archiver?.Spec is not { } spec || archiver.Metadata.DeletionTimestamp is not null) return InjectionDecision.Unchanged($"archiver {archiverId} does not exist");
        if (storage is null) return InjectionDecision.Unchanged($"the BackupStorage archiver {archiverId} names does not exist");
        // As EnsureArchivingAsync refuses it: a sidecar would archive where the node's full backups never are.
        if (storage.Spec?.Storage is { Provider: StorageProvider.Local, Local: { } local } && LocalStorageInCluster.VolumeProblem(local) is { } volume)
        {
            return InjectionDecision.Unchanged($"BackupStorage {ResourceId.Of(storage)}: spec.storage.local {volume}");
        }

        var hash = SpecHash.Compute(spec);
        var archiving = ArchiverResources.Archiving(archiver, id, hash, database.Metadata.Uid);
        SidecarRuntime runtime;
        try
        {
            runtime = SidecarRuntime.From(spec.WalBackup?.RuntimeSettings, archiving.ChunkMaxSize);
        }
        catch (FormatException e)
        {
            return InjectionDecision.Unchanged(e.Message);
        }

        // The secret copies and the sidecar's RoleBinding are made by the template path (EnsureArchivingAsync, the
        // StartArchiving step), not here: admission has no side effects. The copies are mounted optional, so a pod
        // admitted before they exist starts its database, and its sidecar once they do.
        var copies = SidecarStorage.Copies(id, storage);
        var container = SidecarContainer.Build(options, database, storage, copies, archiving, runtime);
        var volumes = SidecarContainer.Volumes(database, storage, copies);
        var patch = new JsonArray { Add("/spec/containers/-", Json(container)) };
        if (pod.Spec?.Volumes is null)
        {
            patch.Add(Add("/spec/volumes", Json(volumes)));
        }
        else
        {
            foreach (var v in volumes.Where(v => pod.Spec.Volumes.All(present => present.Name != v.Name))) patch.Add(Add("/spec/volumes/-", Json(v)));
        }

        // RFC 6901 spells '/' in a key as '~1'.
        patch.Add(pod.Metadata?.Annotations is null
            ? Add("/metadata/annotations", new JsonObject { [InjectedAnnotation] = hash })
            : Add($"/metadata/annotations/{InjectedAnnotation.Replace("/", "~1", StringComparison.Ordinal)}", JsonValue.Create(hash)));
        return new InjectionDecision(patch, $"sidecar added for MongoDB {id} (archiver {archiverId}, spec-hash {hash})");
    }

    private static JsonObject Add(string path, JsonNode? value) => new() { ["op"] = "add", ["path"] = path, ["value"] = value };

    private static JsonNode? Json(object value) => JsonNode.Parse(KubernetesJson.Serialize(value));
}
