using System.Globalization;
using System.Net;
using System.Text.Json;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Messages.Configuration;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Archiver.Kubernetes;

/// <summary>
/// Archiving as part of a KubeDB database's workloads: the <c>archiver</c> sidecar container in each StatefulSet or
/// PetSet whose pods are its members (<see cref="MemberWorkloads"/>: the one named after a replica set's database; a
/// sharded database's config server's and each shard's, never its routers'), and rollouts through the pod template
/// annotation <c>kubectl rollout restart</c> uses, workload by workload. Every change is read-modify-replace with the
/// StatefulSet's resourceVersion, retried on 409, and skipped when there is nothing to change, so repeating a
/// call after a crash writes nothing.
/// </summary>
public sealed partial class KubernetesWorkloads(IKubernetes client, IResourceStore resources, KubernetesWorkloadsOptions options) : IArchivingWorkloads
{
    /// <summary>The annotation <c>kubectl rollout restart</c> sets on the pod template; changing it rolls the pods.</summary>
    public const string RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";

    /// <summary>The pod template annotation holding the last restart's token, so a token rolls the pods once.</summary>
    public const string RestartTokenAnnotation = "archiver.kubedb.com/restart-token";

    /// <summary>The pod template annotation holding the archiving spec's hash, for whoever inspects the StatefulSet.</summary>
    public const string SpecHashAnnotation = "archiver.kubedb.com/archiving-spec";

    // A 403 from any call below (RBAC missing a verb the node needs) is the port's ResourceForbiddenException, in the API
    // server's words: the ops request waits for it to be granted, saying which verb on what (StepFailures).
    public Task EnsureArchivingAsync(ResourceId database, ArchivingSpec spec, CancellationToken cancellation = default) =>
        ApiServerErrors.ForbiddenAsPortErrorAsync(() => EnsureArchivingCoreAsync(database, spec, cancellation));

    public Task StopArchivingAsync(ResourceId database, string? databaseUid = null, CancellationToken cancellation = default) =>
        ApiServerErrors.ForbiddenAsPortErrorAsync(() => StopArchivingCoreAsync(database, databaseUid, cancellation));

    public Task RestartAsync(ResourceId database, string token, CancellationToken cancellation = default) =>
        ApiServerErrors.ForbiddenAsPortErrorAsync(async () =>
        {
            foreach (var member in await MembersAsync(database, cancellation))
            {
                await ChangeAsync(member, template =>
                {
                    if (Annotation(template, RestartTokenAnnotation) == token) return false;
                    Annotate(template, RestartTokenAnnotation, token);
                    Annotate(template, RestartedAtAnnotation, DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture));
                    return true;
                }, cancellation);
            }
        });

    /// <summary>
    /// The database's member workloads (<see cref="MemberWorkloads.Of"/>). A database no longer there is taken as a
    /// replica set: its workload is the one named after it, and a sharded one's workloads go with it (KubeDB's owner
    /// references), so there is nothing else to find.
    /// </summary>
    private async Task<IReadOnlyList<ResourceId>> MembersAsync(ResourceId database, CancellationToken cancellation) =>
        await resources.GetAsync<MongoDB>(database, cancellation) is { } mongo
            ? [.. MemberWorkloads.Of(mongo).Select(m => new ResourceId(database.Namespace, m.Workload))]
            : [database];

    private async Task EnsureArchivingCoreAsync(ResourceId database, ArchivingSpec spec, CancellationToken cancellation)
    {
        var mongo = await resources.GetAsync<MongoDB>(database, cancellation) ?? throw new ResourceNotFoundException($"MongoDB {database} does not exist");
        // Deleted since the archiver planned (it plans nothing while it is missing): waited for, and used once made again.
        var storage = await resources.GetAsync<BackupStorage>(spec.Storage, cancellation) ?? throw new WaitingStepException($"BackupStorage {spec.Storage} does not exist");
        // Refused before anything is written: the sidecars would archive where the node's full backups never are.
        if (storage.Spec?.Storage is { Provider: StorageProvider.Local, Local: { } local })
        {
            if (LocalStorageInCluster.VolumeProblem(local) is { } volume) throw new PermanentStepException($"BackupStorage {spec.Storage}: spec.storage.local {volume}");
            if (LocalStorageInCluster.Problem(local, options.LocalFolderProblem) is { } folder) throw new PermanentStepException($"BackupStorage {spec.Storage}: spec.storage.local.mountPath {folder}");
        }

        SidecarRuntime runtime;
        try
        {
            runtime = SidecarRuntime.From((await ArchiverWithHashAsync(mongo, spec.SpecHash, cancellation))?.Spec?.WalBackup?.RuntimeSettings, spec.ChunkMaxSize);
        }
        catch (FormatException e)
        {
            throw new PermanentStepException(e.Message);
        }

        var copies = SidecarStorage.Copies(database, storage);
        // The copies and the sidecar's permission first: a pod rolled by the template below finds them there.
        await EnsureSecretCopiesAsync(mongo, copies, cancellation);
        // Every member workload read before any is changed: a sharded database whose shard is missing gets no sidecar in part.
        List<(ResourceId Id, Workload Read)> workloads = [];
        foreach (var member in MemberWorkloads.Of(mongo))
        {
            var id = new ResourceId(database.Namespace, member.Workload);
            workloads.Add((id, await ReadAsync(id, cancellation) ?? throw new ResourceNotFoundException($"the database's workload (StatefulSet or PetSet {id}) does not exist")));
        }

        // One RoleBinding per database: KubeDB runs all of a sharded database's pods as the one service account it
        // defaults (podTemplate.spec.serviceAccountName: {db}; SetDefaults in kubedb/apimachinery apis/kubedb/v1/mongodb_helpers.go).
        await EnsureSidecarRoleBindingAsync(mongo, workloads[0].Read.Set.Spec.Template.Spec.ServiceAccountName is { Length: > 0 } account ? account : "default", cancellation);
        var sidecar = SidecarContainer.Build(options, mongo, storage, copies, spec, runtime);
        var volumes = SidecarContainer.Volumes(mongo, storage, copies);
        var mountedBefore = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, read) in workloads) await EnsureSidecarAsync(id, read, sidecar, volumes, spec.SpecHash, mountedBefore, cancellation);
        // Copies of secrets the storage no longer names (it was edited, or another storage is used now).
        await DeleteSecretCopiesAsync(database.Namespace, mountedBefore.Except(copies.Select(c => c.Name), StringComparer.Ordinal), cancellation);
    }

    /// <summary>Puts the sidecar into one workload's pod template, adding the secret copies it mounted before to <paramref name="mountedBefore"/>.</summary>
    private async Task EnsureSidecarAsync(ResourceId workload, Workload read, V1Container sidecar, IReadOnlyList<V1Volume> volumes, string specHash, HashSet<string> mountedBefore, CancellationToken cancellation)
    {
        var mounted = new List<string>();
        await ChangeAsync(workload, template =>
        {
            mounted = CopiesIn(template);
            var containers = template.Spec.Containers;
            var index = containers.ToList().FindIndex(c => c.Name == options.ContainerName);
            var present = template.Spec.Volumes?.Where(v => SidecarContainer.IsOwnVolume(v.Name)).ToList() ?? [];
            var same = index >= 0 && SidecarContainer.Same(containers[index], sidecar) && Annotation(template, SpecHashAnnotation) == specHash
                && present.Count == volumes.Count && volumes.All(v => SameVolume(present.FirstOrDefault(p => p.Name == v.Name), v));
            if (same) return false;
            if (index >= 0) containers[index] = sidecar;
            else containers.Add(sidecar);
            SetOwnVolumes(template, volumes);
            Annotate(template, SpecHashAnnotation, specHash);
            return true;
        }, cancellation, read: read);
        mountedBefore.UnionWith(mounted);
    }

    private async Task StopArchivingCoreAsync(ResourceId database, string? databaseUid, CancellationToken cancellation)
    {
        var mountedBefore = new HashSet<string>(StringComparer.Ordinal);
        var anotherKept = false;
        foreach (var member in await MembersAsync(database, cancellation))
        {
            var mounted = new List<string>();
            var kept = false;
            await ChangeAsync(member, template =>
            {
                mounted = [];
                var removed = template.Spec.Containers.Where(c => c.Name == options.ContainerName).ToList();
                // A sidecar of another incarnation (the database was created again under its name) is that one's.
                kept = databaseUid is not null && removed.Any(c => SidecarContainer.DatabaseUidOf(c) is { } archived && archived != databaseUid);
                if (kept) return false;
                mounted = CopiesIn(template);
                foreach (var container in removed) template.Spec.Containers.Remove(container);
                var hadVolume = template.Spec.Volumes?.Any(v => SidecarContainer.IsOwnVolume(v.Name)) == true;
                SetOwnVolumes(template, []);
                template.Metadata?.Annotations?.Remove(SpecHashAnnotation);
                return removed.Count > 0 || hadVolume;
            }, cancellation, missingIsDone: true);
            mountedBefore.UnionWith(mounted);
            anotherKept |= kept;
        }

        // Unless another incarnation's sidecar was left in a workload above (decided on the workloads as read, not read
        // again): its copies and permission are named as this one's and are its own now.
        if (anotherKept) return;
        // After the templates: no pod is ever written to mount a copy that is gone, or to lack the permission it uses.
        await DeleteSecretCopiesAsync(database.Namespace, mountedBefore, cancellation);
        await DeleteSidecarRoleBindingAsync(database.Namespace, database.Name, cancellation);
    }

    /// <summary>
    /// As <c>kubectl rollout status</c> decides for a StatefulSet (kubectl's polymorphichelpers/rollout_status.go,
    /// StatefulSetStatusViewer): the controller has seen the latest spec, every replica is ready, and a rolling update
    /// has brought each to the update revision. A sharded database's workloads one after another (the config server's,
    /// then each shard's): a pod of the next is deleted only once every pod of those before it runs its new template,
    /// so at most one member of the whole cluster is down at a time.
    /// </summary>
    public async Task<RolloutProgress> RolloutAsync(ResourceId database, CancellationToken cancellation = default)
    {
        var members = await MembersAsync(database, cancellation);
        List<string> done = [];
        foreach (var member in members)
        {
            var progress = await RolloutOneAsync(member, cancellation);
            if (!progress.Done) return progress;
            done.Add(progress.Message);
        }

        return new RolloutProgress(true, string.Join("; ", done));
    }

    private async Task<RolloutProgress> RolloutOneAsync(ResourceId database, CancellationToken cancellation)
    {
        if (await ReadAsync(database, cancellation) is not { } workload) return new RolloutProgress(true, $"the workload of {database} does not exist: nothing to roll");
        var (set, kind) = (workload.Set, workload.Kind);
        var status = set.Status;
        var replicas = set.Spec.Replicas ?? 1;
        if (status is null || (status.ObservedGeneration ?? 0) < (set.Metadata.Generation ?? 0))
        {
            return new RolloutProgress(false, $"{kind} {database}: waiting for the controller to see its new spec");
        }

        if ((status.ReadyReplicas ?? 0) < replicas)
        {
            return new RolloutProgress(false, $"{kind} {database}: {status.ReadyReplicas ?? 0} of {replicas} pods ready, {status.UpdatedReplicas ?? 0} updated");
        }

        if (set.Spec.UpdateStrategy?.Type == "OnDelete") return await DeleteNextOutdatedPodAsync(database, workload, cancellation);
        if (set.Spec.UpdateStrategy?.Type is null or "RollingUpdate" && status.UpdateRevision != status.CurrentRevision)
        {
            return new RolloutProgress(false, $"{kind} {database}: {status.UpdatedReplicas ?? 0} of {replicas} pods updated to {status.UpdateRevision}");
        }

        return new RolloutProgress(true, $"{kind} {database}: {replicas} pods ready at revision {status.CurrentRevision}");
    }

    /// <summary>
    /// An OnDelete workload's rollout, one pod at a time: KubeDB's operators set <c>updateStrategy: OnDelete</c>, so a
    /// new template reaches a pod only when the pod is deleted (the controller makes it again from the update revision,
    /// pkg/controller/statefulset/stateful_set_control.go). Each call deletes at most one pod on an older revision
    /// (its <c>controller-revision-hash</c> label), and only while every other pod is there and ready: standbys first,
    /// highest ordinal first, the primary (<c>kubedb.com/role: primary</c>) last, so the replica set elects once.
    /// </summary>
    private async Task<RolloutProgress> DeleteNextOutdatedPodAsync(ResourceId database, Workload workload, CancellationToken cancellation)
    {
        var (set, kind) = (workload.Set, workload.Kind);
        var replicas = set.Spec.Replicas ?? 1;
        if (set.Status?.UpdateRevision is not { Length: > 0 } update)
        {
            return new RolloutProgress(false, $"{kind} {database}: waiting for the controller's update revision");
        }

        var selector = string.Join(',', (set.Spec.Selector?.MatchLabels ?? new Dictionary<string, string>()).Select(l => $"{l.Key}={l.Value}"));
        var pods = (await client.CoreV1.ListNamespacedPodAsync(database.Namespace, labelSelector: selector, cancellationToken: cancellation)).Items;
        var members = pods.Where(p => p.Metadata.DeletionTimestamp is null).ToList();
        var ready = members.Count(p => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true);
        if (members.Count < pods.Count || members.Count < replicas || ready < members.Count)
        {
            return new RolloutProgress(false, $"{kind} {database}: {ready} of {replicas} pods ready; waiting for all of them before the next");
        }

        string? Label(V1Pod pod, string key) => pod.Metadata.Labels?.TryGetValue(key, out var value) == true ? value : null;
        var outdated = members.Where(p => Label(p, "controller-revision-hash") != update)
            .OrderBy(p => Label(p, "kubedb.com/role") == "primary")
            .ThenByDescending(p => int.TryParse(p.Metadata.Name[(p.Metadata.Name.LastIndexOf('-') + 1)..], out var ordinal) ? ordinal : 0)
            .ToList();
        if (outdated.Count == 0) return new RolloutProgress(true, $"{kind} {database}: {replicas} pods ready at revision {update}");
        var next = outdated[0].Metadata.Name;
        await client.CoreV1.DeleteNamespacedPodAsync(next, database.Namespace, cancellationToken: cancellation);
        return new RolloutProgress(false, $"{kind} {database}: deleted pod {next} to make it again at revision {update} (OnDelete); {outdated.Count - 1} more after it");
    }

    /// <summary>
    /// The newest report among the StatefulSet's pods, an archiving sidecar's before a standby's: each sidecar writes its <see cref="ArchivingReport"/> as JSON
    /// into the <see cref="SidecarContainer.ReportAnnotation"/> annotation of its own pod (named by the downward API).
    /// Only pods that run the sidecar count, whether the template or admission gave it to them (<see cref="SidecarInjection"/>):
    /// a pod rolled without it keeps the last report it had, which no one updates any more.
    /// </summary>
    public async Task<ArchivingReport?> ReportAsync(ResourceId database, CancellationToken cancellation = default)
    {
        // A replica set's workload is named after it: read first, so observing one (every few seconds) reads no MongoDB.
        // KubeDB makes no workload of that name for a sharded database.
        if (await ReadAsync(database, cancellation) is { } own) return await ReportOfAsync(database.Namespace, own.Set, cancellation);
        if (await resources.GetAsync<MongoDB>(database, cancellation) is not { } mongo || !mongo.IsSharded()) return null;
        // A sharded database's report is its replica sets' combined, as the embedded node combines its streams
        // (InProcessOplogArchivers.RunShardedAsync): one that has not reported yet is there, empty, and leaves the
        // cluster's range unknown rather than the others' range claimed for it.
        // Dated as its oldest part, so a replica set whose sidecars stopped reporting makes the whole report stale.
        List<ArchivingReport> parts = [];
        List<ArchivingReport> reported = [];
        foreach (var member in MemberWorkloads.Of(mongo))
        {
            var read = await ReadAsync(new ResourceId(database.Namespace, member.Workload), cancellation);
            var report = read is null ? null : await ReportOfAsync(database.Namespace, read.Set, cancellation);
            if (report is not null) reported.Add(report);
            parts.Add(report ?? new ArchivingReport(member.ReplicaSet, null, null, null, null, null, DateTimeOffset.UtcNow));
        }

        return reported.Count == 0 ? null : ArchivingReport.Combine(parts, reported.Min(p => p.ReportedAt));
    }

    /// <summary>One workload's report: its archiving sidecar's, else a standby's.</summary>
    private async Task<ArchivingReport?> ReportOfAsync(string @namespace, V1StatefulSet set, CancellationToken cancellation)
    {
        var selector = string.Join(',', (set.Spec.Selector?.MatchLabels ?? new Dictionary<string, string>()).Select(l => $"{l.Key}={l.Value}"));
        var pods = await client.CoreV1.ListNamespacedPodAsync(@namespace, labelSelector: selector, cancellationToken: cancellation);
        // The archiving member's report (the primary's sidecar); the standbys' only when no member archives.
        return pods.Items
            .Where(p => p.Spec?.Containers?.Any(c => c.Name == options.ContainerName) == true)
            .Select(p => p.Metadata.Annotations?.TryGetValue(SidecarContainer.ReportAnnotation, out var json) == true ? ParseReport(json) : null)
            .OfType<ArchivingReport>()
            .OrderBy(r => r.Standby)
            .ThenByDescending(r => r.ReportedAt)
            .FirstOrDefault();
    }

    /// <summary>
    /// The archiver whose spec this archiving spec was made from: the one whose spec hashes to its <c>SpecHash</c> (the
    /// hash covers <c>walBackup</c>, runtime settings included, so any archiver that matches has the same ones). The
    /// database's own reference first; it names the new archiver only after the ops request's last step, so then
    /// every archiver. None (an archiver edited since, whose next ops request follows): the defaults.
    /// </summary>
    private async Task<MongoDBArchiver?> ArchiverWithHashAsync(MongoDB database, string specHash, CancellationToken cancellation)
    {
        bool Matches(MongoDBArchiver? archiver) => archiver?.Spec is { } spec && SpecHash.Compute(spec) == specHash;
        if (database.Spec?.Archiver?.Ref is { } reference
            && await resources.GetAsync<MongoDBArchiver>(new ResourceId(reference.NamespaceOr(database.Metadata.NamespaceProperty), reference.Name), cancellation) is { } referenced
            && Matches(referenced))
        {
            return referenced;
        }

        return (await resources.ListAsync<MongoDBArchiver>(null, cancellation)).FirstOrDefault(Matches);
    }

    private static ArchivingReport? ParseReport(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<ArchivingReport>(json, ReportJson.Options);
        }
        catch (JsonException)
        {
            // A report that does not parse is no report: the database shows as not reporting.
            return null;
        }
    }

    /// <summary>
    /// The database's workload: KubeDB's <c>kubedb.com/v1alpha2</c> runs a MongoDB in a StatefulSet, its current
    /// <c>v1</c> in a PetSet (<c>petsets.apps.k8s.appscode.com/v1</c>, KubeDB's own kind, whose spec and status carry
    /// a StatefulSet's fields under the same names: kubeops.dev/petset). Both are read as a <see cref="V1StatefulSet"/>;
    /// a PetSet is kept as the JSON it was read as too, so that writing it back replaces its pod template alone and none
    /// of its own fields is lost.
    /// </summary>
    private sealed record Workload(string Kind, V1StatefulSet Set, JsonElement? PetSet);

    public const string PetSetGroup = "apps.k8s.appscode.com";

    public const string PetSetVersion = "v1";

    public const string PetSetPlural = "petsets";

    // The databases last found in a PetSet: read as one first, so observing a v1 database (every few seconds) does not
    // ask for a StatefulSet that is not there each time.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ResourceId, bool> _inPetSet = new();

    private async Task<Workload?> ReadAsync(ResourceId database, CancellationToken cancellation)
    {
        var petSetFirst = _inPetSet.ContainsKey(database);
        foreach (var petSet in new[] { petSetFirst, !petSetFirst })
        {
            if (await (petSet ? ReadPetSetAsync(database, cancellation) : ReadStatefulSetAsync(database, cancellation)) is { } found)
            {
                if (petSet) _inPetSet[database] = true;
                else _inPetSet.TryRemove(database, out _);
                return found;
            }
        }

        return null;
    }

    private async Task<Workload?> ReadStatefulSetAsync(ResourceId database, CancellationToken cancellation)
    {
        try
        {
            return new Workload("StatefulSet", await client.AppsV1.ReadNamespacedStatefulSetAsync(database.Name, database.Namespace, cancellationToken: cancellation), null);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<Workload?> ReadPetSetAsync(ResourceId database, CancellationToken cancellation)
    {
        try
        {
            var petSet = await client.CustomObjects.GetNamespacedCustomObjectAsync<JsonElement>(PetSetGroup, PetSetVersion, database.Namespace, PetSetPlural, database.Name, cancellation);
            return new Workload("PetSet", KubernetesJson.Deserialize<V1StatefulSet>(petSet.GetRawText()), petSet);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task ReplaceAsync(ResourceId database, Workload workload, CancellationToken cancellation)
    {
        if (workload.PetSet is not { } read)
        {
            await client.AppsV1.ReplaceNamespacedStatefulSetAsync(workload.Set, database.Name, database.Namespace, cancellationToken: cancellation);
            return;
        }

        // The PetSet as read (its resourceVersion too, so the write is conditioned on it), with the new pod template.
        var petSet = System.Text.Json.Nodes.JsonNode.Parse(read.GetRawText())!.AsObject();
        petSet["spec"]!["template"] = System.Text.Json.Nodes.JsonNode.Parse(KubernetesJson.Serialize(workload.Set.Spec.Template));
        await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(petSet, PetSetGroup, PetSetVersion, database.Namespace, PetSetPlural, database.Name, cancellationToken: cancellation);
    }

    // Reads the workload (the first time: the one the caller read already, if any), lets change edit its pod template
    // (true: something changed) and replaces it with the resourceVersion it read; a 409 means it changed in between, so
    // read and decide again.
    private async Task ChangeAsync(ResourceId database, Func<V1PodTemplateSpec, bool> change, CancellationToken cancellation, bool missingIsDone = false, Workload? read = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var workload = attempt == 0 && read is not null ? read : await ReadAsync(database, cancellation);
            if (workload is null)
            {
                if (missingIsDone) return;
                throw new ResourceNotFoundException($"the database's workload (StatefulSet or PetSet {database}) does not exist");
            }

            var set = workload.Set;
            set.Spec.Template.Metadata ??= new V1ObjectMeta();
            if (!change(set.Spec.Template)) return;
            try
            {
                await ReplaceAsync(database, workload, cancellation);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < options.ConflictRetries)
            {
                // Changed since we read it: decide again on the new version.
            }
        }
    }

    /// <summary>
    /// Compared by what the storage names, not as JSON: an API server defaults fields (a hostPath's <c>type</c> to
    /// ""), and a template rewritten at every look would roll the database's pods at every look.
    /// </summary>
    private static bool SameVolume(V1Volume? running, V1Volume? wanted) =>
        (running, wanted) switch
        {
            (null, null) => true,
            ({ } a, { } b) => a.PersistentVolumeClaim?.ClaimName == b.PersistentVolumeClaim?.ClaimName
                && (a.PersistentVolumeClaim?.ReadOnlyProperty ?? false) == (b.PersistentVolumeClaim?.ReadOnlyProperty ?? false)
                && a.HostPath?.Path == b.HostPath?.Path
                && (string.IsNullOrEmpty(a.HostPath?.Type) ? null : a.HostPath.Type) == (string.IsNullOrEmpty(b.HostPath?.Type) ? null : b.HostPath.Type)
                && a.Nfs?.Server == b.Nfs?.Server && a.Nfs?.Path == b.Nfs?.Path
                && (a.Nfs?.ReadOnlyProperty ?? false) == (b.Nfs?.ReadOnlyProperty ?? false)
                && a.Secret?.SecretName == b.Secret?.SecretName
                && (a.EmptyDir is null) == (b.EmptyDir is null),
            _ => false,
        };

    /// <summary>Puts the sidecar's volumes in the pod (replacing older ones of the same names), or takes them all out (none).</summary>
    private static void SetOwnVolumes(V1PodTemplateSpec template, IReadOnlyList<V1Volume> volumes)
    {
        var kept = (template.Spec.Volumes ?? []).Where(v => !SidecarContainer.IsOwnVolume(v.Name)).ToList();
        kept.AddRange(volumes);
        template.Spec.Volumes = kept.Count == 0 && template.Spec.Volumes is null ? null : kept;
    }

    private static string? Annotation(V1PodTemplateSpec template, string key) =>
        template.Metadata?.Annotations is { } annotations && annotations.TryGetValue(key, out var value) ? value : null;

    private static void Annotate(V1PodTemplateSpec template, string key, string value)
    {
        template.Metadata.Annotations ??= new Dictionary<string, string>();
        template.Metadata.Annotations[key] = value;
    }
}
