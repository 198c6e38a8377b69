using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.Kubelet;

/// <summary>
/// The one node's kubelet, reduced to what pods as local processes need: it runs every pod the API server has (there is
/// no scheduler; every pod is this node's), one <see cref="PodWorker"/> per pod, and stops a pod's worker when the pod
/// is deleted. A new pod under the name of one still stopping starts only once that one is gone, as a StatefulSet's
/// pod is made again only after its predecessor has terminated. It refreshes secret and configMap volumes at every
/// sync of a pod (a fraction of a second here; the kubelet's sync period, about a minute, in a cluster).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class Kubelet
{
    private readonly Informer _pods;
    private readonly KubeletServices _services;
    private readonly Dictionary<string, PodWorker> _workers = [];
    private readonly Dictionary<string, Task> _stopping = [];
    private readonly Lock _sync = new();
    private bool _stopped;

    public Kubelet(Informer pods, KubeletServices services)
    {
        _pods = pods;
        _services = services;
        Loop = new ReconcileLoop("kubelet", ReconcileAsync, TimeSpan.FromSeconds(2), services.Log);
        pods.Changed += (_, _) => Loop.Trigger();
    }

    public ReconcileLoop Loop { get; }

    /// <summary>The folder of the running pod of that name (where its containers' logs are), or null.</summary>
    public string? FolderOf(string ns, string name)
    {
        lock (_sync)
        {
            return _workers.TryGetValue($"{ns}/{name}", out var worker) ? worker.Folder : null;
        }
    }

    /// <summary>The worker of the running pod of that name, or null.</summary>
    public PodWorker? WorkerOf(string ns, string name)
    {
        lock (_sync)
        {
            return _workers.GetValueOrDefault($"{ns}/{name}");
        }
    }

    /// <summary>Stops every pod, with at most <paramref name="grace"/> between SIGTERM and SIGKILL, and waits for them.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        List<Task> all;
        lock (_sync)
        {
            _stopped = true;
            foreach (var worker in _workers.Values) worker.Terminate(grace);
            all = [.. _workers.Values.Select(w => w.Completion), .. _stopping.Values];
        }

        await Task.WhenAll(all).ConfigureAwait(false);
    }

    private Task ReconcileAsync(CancellationToken stop)
    {
        var pods = _pods.Items().Where(p => !J.Deleting(p)).ToDictionary(p => $"{J.Namespace(p)}/{J.Name(p)}");
        lock (_sync)
        {
            if (_stopped) return Task.CompletedTask;
            foreach (var (key, worker) in _workers.ToList())
            {
                if (pods.TryGetValue(key, out var pod) && J.Uid(pod) == worker.Uid)
                {
                    worker.Update(pod);
                    continue;
                }

                // Deleted, or deleted and made again under its name: this incarnation stops.
                worker.Terminate();
                _workers.Remove(key);
                var previous = _stopping.GetValueOrDefault(key) ?? Task.CompletedTask;
                _stopping[key] = Task.WhenAll(previous, worker.Completion);
            }

            foreach (var (key, pod) in pods)
            {
                if (_workers.ContainsKey(key)) continue;
                var previous = _stopping.GetValueOrDefault(key) ?? Task.CompletedTask;
                _workers[key] = new PodWorker((JsonObject)pod.DeepClone(), _services, previous);
            }

            foreach (var (key, task) in _stopping.Where(s => s.Value.IsCompleted).ToList()) _stopping.Remove(key);
        }

        return Task.CompletedTask;
    }
}
