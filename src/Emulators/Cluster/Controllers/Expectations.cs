using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.Controllers;

/// <summary>
/// What a controller has just created or deleted and its cache does not show yet (client-go's ControllerExpectations,
/// kubernetes/kubernetes pkg/controller/controller_utils.go): a pass that runs before the watch brings the change must
/// neither delete a pod twice nor make a second one for the same slot. An expectation ends when the cache shows it met,
/// or after half a minute (a write that failed: client-go gives up on one after five).
/// </summary>
internal sealed class Expectations
{
    private readonly Lock _sync = new();
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly Dictionary<string, DateTime> _created = [];
    private readonly Dictionary<string, DateTime> _deleted = [];

    public void Created(string ns, string name)
    {
        lock (_sync)
        {
            _created[$"{ns}/{name}"] = DateTime.UtcNow;
        }
    }

    /// <summary>A create that was refused: nothing will show up (client-go's CreationObserved on an error).</summary>
    public void CreationFailed(string ns, string name)
    {
        lock (_sync)
        {
            _created.Remove($"{ns}/{name}");
        }
    }

    public void Deleted(string uid)
    {
        lock (_sync)
        {
            _deleted[uid] = DateTime.UtcNow;
        }
    }

    /// <summary>Ends the expectations the cache now shows met: created objects it has, deleted ones it no longer has.</summary>
    public void Observe(IReadOnlyCollection<JsonObject> cached)
    {
        var uids = cached.Select(J.Uid).ToHashSet();
        var expired = DateTime.UtcNow - Timeout;
        lock (_sync)
        {
            // A name is there again only in a new object: the one deleted under it may still be in the cache.
            var names = cached.Where(o => !_deleted.ContainsKey(J.Uid(o))).Select(o => $"{J.Namespace(o)}/{J.Name(o)}").ToHashSet();
            foreach (var key in _created.Where(c => names.Contains(c.Key) || c.Value < expired).Select(c => c.Key).ToList()) _created.Remove(key);
            foreach (var key in _deleted.Where(d => !uids.Contains(d.Key) || d.Value < expired).Select(d => d.Key).ToList()) _deleted.Remove(key);
        }
    }

    public bool IsDeleted(JsonObject item)
    {
        lock (_sync)
        {
            return _deleted.ContainsKey(J.Uid(item));
        }
    }

    /// <summary>Created objects of <paramref name="ns"/> the cache does not show yet, whose names <paramref name="match"/>.</summary>
    public List<string> PendingCreates(string ns, Func<string, bool> match)
    {
        lock (_sync)
        {
            return [.. _created.Keys.Where(k => k.StartsWith(ns + "/", StringComparison.Ordinal)).Select(k => k[(ns.Length + 1)..]).Where(match)];
        }
    }
}
