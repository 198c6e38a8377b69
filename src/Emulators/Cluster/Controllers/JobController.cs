using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.Controllers;

/// <summary>
/// The Job controller (kubernetes/kubernetes pkg/controller/job/job_controller.go), reduced: pods
/// <c>{job}-xxxxx</c> from the template, labelled <c>batch.kubernetes.io/job-name</c> and
/// <c>batch.kubernetes.io/controller-uid</c> (and the older unprefixed keys) and owned by the job, up to
/// <c>parallelism</c> at once until <c>completions</c> pods succeeded (condition <c>Complete</c>), or until more than
/// <c>backoffLimit</c> failed (condition <c>Failed</c>, reason <c>BackoffLimitExceeded</c>, running pods deleted).
/// Status: active, ready, succeeded, failed, startTime, completionTime, conditions. A failed pod is replaced at once
/// (no exponential delay); <c>activeDeadlineSeconds</c>, indexed completions, pod failure policies and
/// <c>ttlSecondsAfterFinished</c> are not done.
/// </summary>
internal sealed class JobController
{
    private readonly Informer _jobs;
    private readonly Informer _pods;
    private readonly Informer _accounts;
    private readonly ApiClient _api;
    private readonly Events _events;
    private readonly StandInLog _log;
    private readonly TimeProvider _time;
    private readonly Expectations _expectations = new();

    public JobController(Informer jobs, Informer pods, Informer accounts, ApiClient api, Events events, StandInLog log, TimeProvider time)
    {
        _jobs = jobs;
        _pods = pods;
        _accounts = accounts;
        _api = api;
        _events = events;
        _log = log;
        _time = time;
        Loop = new ReconcileLoop("job controller", ReconcileAsync, TimeSpan.FromSeconds(2), log);
        jobs.Changed += (_, _) => Loop.Trigger();
        pods.Changed += (_, _) => Loop.Trigger();
    }

    public ReconcileLoop Loop { get; }

    private async Task ReconcileAsync(CancellationToken stop)
    {
        _expectations.Observe(_pods.Items());
        foreach (var job in _jobs.Items().Where(j => !J.Deleting(j)))
        {
            try
            {
                await ReconcileJobAsync(job, stop).ConfigureAwait(false);
            }
            catch (ApiException e)
            {
                _log.Write($"job {J.Namespace(job)}/{J.Name(job)}: {e.Message}");
            }
        }
    }

    private async Task ReconcileJobAsync(JsonObject job, CancellationToken stop)
    {
        var ns = J.Namespace(job);
        var status = job["status"] as JsonObject ?? [];
        if (J.Objects(status["conditions"]).Any(c => J.Text(c["type"]) is "Complete" or "Failed" && J.Text(c["status"]) == "True")) return;
        var spec = job["spec"] as JsonObject ?? [];
        // Pods made by an earlier pass that the cache does not show yet count as active: no second one for the same slot.
        if (_expectations.PendingCreates(ns, n => n.StartsWith(J.Name(job) + "-", StringComparison.Ordinal)).Count > 0) return;
        var pods = _pods.InNamespace(ns).Where(p => J.ControllerUid(p) == J.Uid(job) && !_expectations.IsDeleted(p)).ToList();
        var succeeded = pods.Count(p => J.Text(p["status"]?["phase"]) == "Succeeded");
        var failed = pods.Count(p => J.Text(p["status"]?["phase"]) == "Failed");
        var active = pods.Where(p => J.Text(p["status"]?["phase"]) is not ("Succeeded" or "Failed") && !J.Deleting(p)).ToList();
        var completions = J.Int(spec["completions"], 1);
        var parallelism = J.Int(spec["parallelism"], 1);
        var backoffLimit = J.Int(spec["backoffLimit"], 6);
        var now = J.Now(_time);
        JsonObject? finished = null;
        if (succeeded >= completions)
        {
            finished = Condition("Complete", "", "", now);
        }
        else if (failed > backoffLimit)
        {
            finished = Condition("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit", now);
            foreach (var pod in active)
            {
                _expectations.Deleted(J.Uid(pod));
                await _api.DeleteAsync(Kind.Pod.Item(ns, J.Name(pod)), stop).ConfigureAwait(false);
            }

            active.Clear();
        }
        else
        {
            for (var missing = Math.Min(parallelism, completions - succeeded) - active.Count; missing > 0; missing--)
            {
                if (await CreatePodAsync(job, stop).ConfigureAwait(false) is { } created) active.Add(created);
            }
        }

        var next = new JsonObject
        {
            ["startTime"] = J.Text(status["startTime"]) is { Length: > 0 } started ? started : now,
            ["active"] = active.Count,
            ["ready"] = active.Count(Network.ClusterNetwork.PodReady),
            ["succeeded"] = succeeded,
            ["failed"] = failed,
        };
        if (finished is not null)
        {
            next["conditions"] = new JsonArray(finished);
            if (J.Text(finished["type"]) == "Complete") next["completionTime"] = now;
            _log.Write($"job {ns}/{J.Name(job)}: {J.Text(finished["type"])}");
        }

        var comparable = (JsonObject)status.DeepClone();
        comparable.Remove("conditions");
        comparable.Remove("completionTime");
        comparable.Remove("uncountedTerminatedPods");
        if (finished is null && JsonNode.DeepEquals(comparable, next)) return;
        await _api.MergePatchAsync(Kind.Job.Status(ns, J.Name(job)),
            new JsonObject { ["metadata"] = new JsonObject { ["uid"] = J.Uid(job) }, ["status"] = next }, stop).ConfigureAwait(false);
    }

    private async Task<JsonObject?> CreatePodAsync(JsonObject job, CancellationToken stop)
    {
        var ns = J.Namespace(job);
        var name = J.Name(job);
        var template = (JsonObject?)job["spec"]?["template"]?.DeepClone() ?? [];
        var podSpec = template["spec"]?.DeepClone() as JsonObject ?? [];
        var account = J.Text(podSpec["serviceAccountName"]) is { Length: > 0 } sa ? sa : "default";
        if (_accounts.Get(ns, account) is null)
        {
            await _events.RecordAsync(job, "Warning", "FailedCreate",
                $"Error creating: pods \"{name}-\" is forbidden: error looking up service account {ns}/{account}: serviceaccount \"{account}\" not found", stop).ConfigureAwait(false);
            return null;
        }

        var labels = template["metadata"]?["labels"] as JsonObject ?? [];
        labels["batch.kubernetes.io/controller-uid"] = J.Uid(job);
        labels["batch.kubernetes.io/job-name"] = name;
        labels["controller-uid"] = J.Uid(job);
        labels["job-name"] = name;
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["generateName"] = name + "-",
                ["namespace"] = ns,
                ["labels"] = labels.DeepClone(),
                ["annotations"] = template["metadata"]?["annotations"]?.DeepClone() ?? new JsonObject(),
                ["ownerReferences"] = new JsonArray(J.ControllerReference(job)),
            },
            ["spec"] = podSpec,
        };
        var created = await _api.CreateAsync(Kind.Pod.Collection(ns), pod, stop).ConfigureAwait(false);
        _expectations.Created(ns, J.Name(created));
        _log.Write($"job {ns}/{name}: created pod {J.Name(created)}");
        return created;
    }

    private static JsonObject Condition(string type, string reason, string message, string now) => new()
    {
        ["type"] = type,
        ["status"] = "True",
        ["reason"] = reason,
        ["message"] = message,
        ["lastProbeTime"] = now,
        ["lastTransitionTime"] = now,
    };
}
