using System.Globalization;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.Controllers;

/// <summary>
/// The StatefulSet controller (kubernetes/kubernetes pkg/controller/statefulset/stateful_set_control.go), reduced to
/// what a database needs, for <c>apps/v1</c> StatefulSets and KubeDB's PetSets alike (kubeops/petset forks the same
/// controller, and its spec is a StatefulSet's): pods <c>{set}-{ordinal}</c> with the template's labels plus
/// <c>statefulset.kubernetes.io/pod-name</c>, <c>apps.kubernetes.io/pod-index</c> and <c>controller-revision-hash</c>,
/// hostname = pod name and subdomain = <c>serviceName</c>, owned by the set; one claim per
/// <c>volumeClaimTemplates</c> entry and ordinal, <c>{claim}-{set}-{ordinal}</c>, made before the pod and kept after
/// it (owned by the set only when <c>persistentVolumeClaimRetentionPolicy.whenDeleted</c> is Delete); with
/// <c>OrderedReady</c> (the default) one pod at a time, each waiting for the one before to be Running and Ready, and
/// scale-down from the highest ordinal; a rolling update when the template changes: the highest ordinal at or above
/// the partition whose revision is old is deleted and made again from the new template, one at a time, each waiting
/// for all to be Ready. Status: replicas, readyReplicas, availableReplicas, currentReplicas, updatedReplicas,
/// currentRevision, updateRevision, observedGeneration. Not done: ControllerRevision objects (not served by the API
/// server stand-in), <c>minReadySeconds</c>, <c>maxUnavailable</c>, adopting orphaned pods.
/// </summary>
internal sealed class StatefulSetController
{
    private readonly Kind _kind;
    private readonly Informer _sets;
    private readonly Informer _pods;
    private readonly Informer _claims;
    private readonly Informer _accounts;
    private readonly ApiClient _api;
    private readonly StandInLog _log;
    private readonly Events _events;
    private readonly Expectations _expectations = new();

    public StatefulSetController(Kind kind, Informer sets, Informer pods, Informer claims, Informer accounts, ApiClient api, Events events, StandInLog log)
    {
        _events = events;
        _kind = kind;
        _sets = sets;
        _pods = pods;
        _claims = claims;
        _accounts = accounts;
        _api = api;
        _log = log;
        Loop = new ReconcileLoop($"{kind.Plural} controller", ReconcileAsync, TimeSpan.FromSeconds(2), log);
        sets.Changed += (_, _) => Loop.Trigger();
        pods.Changed += (_, _) => Loop.Trigger();
        claims.Changed += (_, _) => Loop.Trigger();
        accounts.Changed += (_, _) => Loop.Trigger();
    }

    public ReconcileLoop Loop { get; }

    private async Task ReconcileAsync(CancellationToken stop)
    {
        _expectations.Observe([.. _pods.Items(), .. _claims.Items()]);
        foreach (var set in _sets.Items().Where(s => !J.Deleting(s)))
        {
            try
            {
                await ReconcileSetAsync(set, stop).ConfigureAwait(false);
            }
            catch (ApiException e)
            {
                _log.Write($"{_kind.Plural} {J.Namespace(set)}/{J.Name(set)}: {e.Message}");
            }
        }
    }

    private async Task ReconcileSetAsync(JsonObject set, CancellationToken stop)
    {
        var ns = J.Namespace(set);
        var name = J.Name(set);
        var spec = set["spec"] as JsonObject ?? [];
        var replicas = J.Int(spec["replicas"], 1);
        var first = J.Int(spec["ordinals"]?["start"], 0);
        var ordered = J.Text(spec["podManagementPolicy"]) != "Parallel";
        var updateRevision = Revisions.Of(name, spec["template"]);
        var pods = _pods.InNamespace(ns).Where(p => J.ControllerUid(p) == J.Uid(set) && !_expectations.IsDeleted(p))
            .Select(p => (Ordinal: Ordinal(name, J.Name(p)), Pod: p)).Where(p => p.Ordinal >= 0).ToDictionary(p => p.Ordinal, p => p.Pod);
        await WriteStatusAsync(set, pods.Values.ToList(), updateRevision, stop).ConfigureAwait(false);
        // A pod made by an earlier pass that the cache does not show yet: nothing is decided before it shows.
        if (_expectations.PendingCreates(ns, n => Ordinal(name, n) >= 0).Count > 0) return;

        for (var ordinal = first; ordinal < first + replicas; ordinal++)
        {
            await EnsureClaimsAsync(set, ordinal, stop).ConfigureAwait(false);
            if (!pods.TryGetValue(ordinal, out var pod))
            {
                await CreatePodAsync(set, ordinal, updateRevision, stop).ConfigureAwait(false);
                if (ordered) return;
                continue;
            }

            var phase = J.Text(pod["status"]?["phase"]);
            if (phase is "Failed" or "Succeeded")
            {
                // A pod that ended is replaced, as the controller does for a failed StatefulSet pod.
                await DeletePodAsync(pod, stop).ConfigureAwait(false);
                if (ordered) return;
                continue;
            }

            if (ordered && !(phase == "Running" && Network.ClusterNetwork.PodReady(pod))) return;
        }

        var condemned = pods.Where(p => p.Key < first || p.Key >= first + replicas).OrderByDescending(p => p.Key).ToList();
        foreach (var (ordinal, pod) in condemned)
        {
            if (ordered && pods.Where(p => p.Key >= first && p.Key < first + replicas).Any(p => !Network.ClusterNetwork.PodReady(p.Value))) return;
            _log.Write($"{_kind.Plural} {ns}/{name}: scaling down, deleting {J.Name(pod)}");
            await DeletePodAsync(pod, stop).ConfigureAwait(false);
            if (ordered) return;
        }

        if (J.Text(spec["updateStrategy"]?["type"]) == "OnDelete") return;
        var current = pods.Where(p => p.Key >= first && p.Key < first + replicas).ToList();
        if (current.Count < replicas || current.Any(p => !Network.ClusterNetwork.PodReady(p.Value) || J.Deleting(p.Value))) return;
        var partition = J.Int(spec["updateStrategy"]?["rollingUpdate"]?["partition"], 0);
        var stale = current.Where(p => p.Key >= first + partition && Revision(p.Value) != updateRevision).OrderByDescending(p => p.Key).FirstOrDefault();
        if (stale.Value is { } old)
        {
            _log.Write($"{_kind.Plural} {ns}/{name}: rolling update to {updateRevision}, deleting {J.Name(old)}");
            await DeletePodAsync(old, stop).ConfigureAwait(false);
        }
    }

    private async Task DeletePodAsync(JsonObject pod, CancellationToken stop)
    {
        _expectations.Deleted(J.Uid(pod));
        await _api.DeleteAsync(Kind.Pod.Item(J.Namespace(pod), J.Name(pod)), stop).ConfigureAwait(false);
    }

    private async Task CreatePodAsync(JsonObject set, int ordinal, string revision, CancellationToken stop)
    {
        var ns = J.Namespace(set);
        var setName = J.Name(set);
        var name = $"{setName}-{ordinal}";
        var template = (JsonObject?)set["spec"]?["template"]?.DeepClone() ?? [];
        var podSpec = template["spec"]?.DeepClone() as JsonObject ?? [];
        var account = J.Text(podSpec["serviceAccountName"]) is { Length: > 0 } sa ? sa : "default";
        if (_accounts.Get(ns, account) is null)
        {
            // The API server's ServiceAccount admission refuses a pod whose account does not exist; the controller
            // records that and tries again later (pkg/controller/statefulset/stateful_pod_control.go FailedCreate).
            await _events.RecordAsync(set, "Warning", "FailedCreate",
                $"create Pod {name} in {_kind.Name} {setName} failed error: pods \"{name}\" is forbidden: error looking up service account {ns}/{account}: serviceaccount \"{account}\" not found", stop).ConfigureAwait(false);
            return;
        }

        var metadata = template["metadata"] as JsonObject ?? [];
        var labels = metadata["labels"] as JsonObject ?? [];
        labels["statefulset.kubernetes.io/pod-name"] = name;
        labels["apps.kubernetes.io/pod-index"] = ordinal.ToString(CultureInfo.InvariantCulture);
        labels["controller-revision-hash"] = revision;
        var volumes = podSpec["volumes"] as JsonArray ?? [];
        foreach (var claim in J.Objects(set["spec"]?["volumeClaimTemplates"]))
        {
            var claimName = J.Name(claim);
            foreach (var existing in J.Objects(volumes).Where(v => J.Text(v["name"]) == claimName).ToList()) volumes.Remove(existing);
            volumes.Add(new JsonObject
            {
                ["name"] = claimName,
                ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = $"{claimName}-{setName}-{ordinal}" },
            });
        }

        podSpec["volumes"] = volumes;
        podSpec["hostname"] = name;
        if (J.Text(set["spec"]?["serviceName"]) is { Length: > 0 } service) podSpec["subdomain"] = service;
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ns,
                ["labels"] = labels.DeepClone(),
                ["annotations"] = metadata["annotations"]?.DeepClone() ?? new JsonObject(),
                ["ownerReferences"] = new JsonArray(J.ControllerReference(set)),
            },
            ["spec"] = podSpec,
        };
        try
        {
            _expectations.Created(ns, name);
            await _api.CreateAsync(Kind.Pod.Collection(ns), pod, stop).ConfigureAwait(false);
            _log.Write($"{_kind.Plural} {ns}/{setName}: created pod {name} ({revision})");
        }
        catch (ApiException e) when (e.Reason == "AlreadyExists")
        {
            // Made by an earlier pass whose change the cache has not shown yet.
        }
    }

    private async Task EnsureClaimsAsync(JsonObject set, int ordinal, CancellationToken stop)
    {
        var ns = J.Namespace(set);
        foreach (var template in J.Objects(set["spec"]?["volumeClaimTemplates"]))
        {
            var name = $"{J.Name(template)}-{J.Name(set)}-{ordinal}";
            if (_claims.Get(ns, name) is not null || _expectations.PendingCreates(ns, n => n == name).Count > 0) continue;
            var labels = J.Map(template["metadata"]?["labels"]);
            foreach (var (key, value) in J.Map(set["spec"]?["selector"]?["matchLabels"])) labels[key] = value;
            var metadata = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = J.Object(labels) };
            if (J.Text(set["spec"]?["persistentVolumeClaimRetentionPolicy"]?["whenDeleted"]) == "Delete")
            {
                var owner = J.ControllerReference(set);
                owner.Remove("controller");
                metadata["ownerReferences"] = new JsonArray(owner);
            }

            try
            {
                _expectations.Created(ns, name);
                await _api.CreateAsync(Kind.Claim.Collection(ns), new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "PersistentVolumeClaim",
                    ["metadata"] = metadata,
                    ["spec"] = template["spec"]?.DeepClone() ?? new JsonObject(),
                }, stop).ConfigureAwait(false);
                _log.Write($"{_kind.Plural} {ns}/{J.Name(set)}: created claim {name}");
            }
            catch (ApiException e) when (e.Reason == "AlreadyExists")
            {
                // Made by an earlier pass.
            }
            catch (ApiException e)
            {
                // Refused (an admission webhook, a quota): nothing was made, so the next pass tries again, as the real
                // controller's requeue does (stateful_set_control.go createPersistentVolumeClaims, event FailedCreate).
                _expectations.CreationFailed(ns, name);
                await _events.RecordAsync(set, "Warning", "FailedCreate", $"create Claim {name} for Pod {J.Name(set)}-{ordinal} in StatefulSet {J.Name(set)} failed error: {e.Message}", stop).ConfigureAwait(false);
                throw;
            }
        }
    }

    private async Task WriteStatusAsync(JsonObject set, List<JsonObject> pods, string updateRevision, CancellationToken stop)
    {
        var old = set["status"] as JsonObject ?? [];
        var replicas = J.Int(set["spec"]?["replicas"], 1);
        var updated = pods.Count(p => Revision(p) == updateRevision);
        var ready = pods.Count(p => Network.ClusterNetwork.PodReady(p) && !J.Deleting(p));
        var current = J.Text(old["currentRevision"]) is { Length: > 0 } c ? c : updateRevision;
        // The rollout is complete once every pod is of the new revision and ready (stateful_set_control.go completeRollingUpdate).
        if (updated == replicas && ready == replicas && pods.Count == replicas) current = updateRevision;
        var status = new JsonObject
        {
            ["observedGeneration"] = set["metadata"]?["generation"]?.DeepClone(),
            ["replicas"] = pods.Count,
            ["readyReplicas"] = ready,
            ["availableReplicas"] = ready,
            ["currentReplicas"] = pods.Count(p => Revision(p) == current),
            ["updatedReplicas"] = updated,
            ["currentRevision"] = current,
            ["updateRevision"] = updateRevision,
            ["collisionCount"] = 0,
        };
        if (JsonNode.DeepEquals(status, old)) return;
        await _api.MergePatchAsync(_kind.Status(J.Namespace(set), J.Name(set)),
            new JsonObject { ["metadata"] = new JsonObject { ["uid"] = J.Uid(set) }, ["status"] = status }, stop).ConfigureAwait(false);
    }

    private static string Revision(JsonObject pod) => J.Text(pod["metadata"]?["labels"]?["controller-revision-hash"]);

    private static int Ordinal(string set, string pod) =>
        pod.StartsWith(set + "-", StringComparison.Ordinal) && int.TryParse(pod.AsSpan(set.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var ordinal) ? ordinal : -1;
}
