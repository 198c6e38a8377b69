using System.Text.Json.Nodes;

namespace Archiver.Emulators.Cluster.Api;

/// <summary>
/// A cache of every object of one kind, kept by list-then-watch as client-go's informers keep theirs: the controllers
/// read from it and never poll the API server. A dropped watch resumes from the last version seen; a 410 lists again.
/// <see cref="Changed"/> fires after each change is applied.
/// </summary>
internal sealed class Informer(ApiClient api, Kind kind, StandInLog log)
{
    private readonly Lock _sync = new();
    private readonly Dictionary<(string Namespace, string Name), JsonObject> _items = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public event Action<string, JsonObject>? Changed;

    public Kind Kind { get; } = kind;

    /// <summary>Completes once the first list is in the cache.</summary>
    public Task Synced => _synced.Task;

    /// <summary>Every cached object; treat them as read-only (clone before changing one).</summary>
    public List<JsonObject> Items()
    {
        lock (_sync)
        {
            return [.. _items.Values];
        }
    }

    public List<JsonObject> InNamespace(string ns)
    {
        lock (_sync)
        {
            return [.. _items.Where(i => i.Key.Namespace == ns).Select(i => i.Value)];
        }
    }

    public JsonObject? Get(string ns, string name)
    {
        lock (_sync)
        {
            return _items.GetValueOrDefault((ns, name));
        }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var version = await ListAsync(stop).ConfigureAwait(false);
                _synced.TrySetResult();
                while (!stop.IsCancellationRequested)
                {
                    await foreach (var (type, item) in api.WatchAsync(Kind.All, version, stop).ConfigureAwait(false))
                    {
                        version = J.Text(item["metadata"]?["resourceVersion"]) is { Length: > 0 } seen ? seen : version;
                        if (type == "BOOKMARK") continue;
                        Apply(type, item);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ApiException or HttpRequestException or IOException or System.Text.Json.JsonException)
            {
                // 410 Expired or a broken connection: list again, as a reflector does.
                log.Write($"informer {Kind.Plural}: {e.Message}; listing again");
                await Task.Delay(TimeSpan.FromMilliseconds(200), stop).ConfigureAwait(false);
            }
        }
    }

    private async Task<string> ListAsync(CancellationToken stop)
    {
        var list = await api.ListAsync(Kind.All, stop).ConfigureAwait(false);
        var fresh = (list["items"] as JsonArray ?? []).OfType<JsonObject>().ToDictionary(Key);
        List<(string, JsonObject)> changes = [];
        lock (_sync)
        {
            foreach (var (key, old) in _items.Where(i => !fresh.ContainsKey(i.Key)).ToList())
            {
                _items.Remove(key);
                changes.Add(("DELETED", old));
            }

            foreach (var (key, item) in fresh)
            {
                var had = _items.TryGetValue(key, out var old);
                _items[key] = item;
                if (!had || J.Text(old!["metadata"]?["resourceVersion"]) != J.Text(item["metadata"]?["resourceVersion"]))
                {
                    changes.Add((had ? "MODIFIED" : "ADDED", item));
                }
            }
        }

        foreach (var (type, item) in changes) Changed?.Invoke(type, item);
        return J.Text(list["metadata"]?["resourceVersion"]);
    }

    private void Apply(string type, JsonObject item)
    {
        lock (_sync)
        {
            if (type == "DELETED") _items.Remove(Key(item));
            else _items[Key(item)] = item;
        }

        Changed?.Invoke(type, item);
    }

    private static (string, string) Key(JsonObject item) => (J.Text(item["metadata"]?["namespace"]), J.Text(item["metadata"]?["name"]));
}
