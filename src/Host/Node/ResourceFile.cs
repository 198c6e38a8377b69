using System.Text.Json;
using System.Text.Json.Nodes;
using Archiver.Actors.Embedded;
using Archiver.Actors.Ports;
using Archiver.Host.Api;
using Archiver.Messages.Protocol;
using Archiver.Messages.Manifests;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Archiver.Host.Node;

/// <summary>
/// Keeps the embedded node's resources, and which databases have oplog archiving on (what a cluster keeps in its
/// pod templates), in <c>&lt;data&gt;/resources.json</c>: loaded before the actors start, written (whole, atomically)
/// within half a second of any change and at shutdown. Without it a restarted node would find its remembered
/// entities' resources gone and act as if they had been deleted, and its databases' archiving stopped.
/// </summary>
public sealed class ResourceFile(InMemoryResourceStore store, InProcessWorkloads workloads, NodeSettings settings, ILogger<ResourceFile> log) : IHostedService
{
    private static readonly TimeSpan WriteDelay = TimeSpan.FromMilliseconds(500);

    private readonly CancellationTokenSource _stop = new();
    private Task _saving = Task.CompletedTask;
    private volatile bool _dirty;

    public string Path => System.IO.Path.Combine(settings.DataFolder, "resources.json");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(Path)) Load(await File.ReadAllTextAsync(Path, cancellationToken));
        var watching = new TaskCompletionSource();
        _saving = Task.Run(() => SaveChangesAsync(watching), CancellationToken.None);
        await watching.Task;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        await _saving;
        Save();
    }

    private void Load(string text)
    {
        var root = JsonNode.Parse(text)!;
        var namespaces = root["namespaces"]!.AsArray().Select(n => new NamespaceInfo(
            n!["name"]!.GetValue<string>(),
            n["labels"]?.AsObject().ToDictionary(l => l.Key, l => l.Value!.GetValue<string>()) ?? []));
        var resources = root["items"]!.AsArray().Select(item =>
        {
            var kind = item!["kind"]!.GetValue<string>();
            return (ResourceKinds.Find(kind) ?? throw new InvalidDataException($"{Path}: unknown kind {kind}")).FromJson(item.ToJsonString());
        }).ToList();
        store.Import(resources, namespaces.ToList());
        foreach (var entry in root["archiving"]?.AsArray() ?? [])
        {
            var spec = entry!["spec"].Deserialize<ArchivingSpec>(ApiJson.Options)!;
            workloads.EnsureArchivingAsync(ResourceId.Parse(entry["database"]!.GetValue<string>()), spec).GetAwaiter().GetResult();
        }

        log.LogInformation("loaded {Count} resources from {Path}", resources.Count, Path);
    }

    private async Task SaveChangesAsync(TaskCompletionSource watching)
    {
        using var changed = new SemaphoreSlim(0);
        void OnArchivingChanged(ResourceId database, ArchivingSpec? spec)
        {
            _dirty = true;
            if (changed.CurrentCount == 0) changed.Release();
        }

        workloads.ArchivingChanged += OnArchivingChanged;
        var pump = Task.Run(async () =>
        {
            await foreach (var _ in store.WatchAsync(_stop.Token))
            {
                _dirty = true;
                if (changed.CurrentCount == 0) changed.Release();
            }
        });
        watching.SetResult();
        try
        {
            while (true)
            {
                await changed.WaitAsync(_stop.Token);
                // Everything that changes within the delay goes into one write.
                await Task.Delay(WriteDelay, _stop.Token);
                Save();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Shutting down: StopAsync writes the last state.
        }

        workloads.ArchivingChanged -= OnArchivingChanged;
        try
        {
            await pump;
        }
        catch (OperationCanceledException)
        {
            // The watch ends by cancellation.
        }
    }

    private void Save()
    {
        if (!_dirty) return;
        _dirty = false;
        var (resources, namespaces) = store.Export();
        var root = new JsonObject
        {
            ["namespaces"] = new JsonArray([.. namespaces.Select(n => (JsonNode)new JsonObject
            {
                ["name"] = n.Name,
                ["labels"] = new JsonObject(n.Labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))),
            })]),
            ["items"] = new JsonArray([.. resources.Select(r => (JsonNode)ManifestWriter.ToJsonNode(r))]),
            ["archiving"] = new JsonArray([.. workloads.Archiving.OrderBy(a => a.Key).Select(a => (JsonNode)new JsonObject
            {
                ["database"] = a.Key.ToString(),
                ["spec"] = JsonSerializer.SerializeToNode(a.Value, ApiJson.Options),
            })]),
        };
        var temporary = Path + ".tmp";
        File.WriteAllText(temporary, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, Path, overwrite: true);
    }
}
