using Archiver.Actors.Ports;

namespace Archiver.Actors.Reporting;

/// <summary>
/// What client-go's event recorder does before it writes (k8s.io/client-go tools/record/events_cache.go,
/// <c>EventCorrelator</c>), kept in one place for both recorders:
/// <list type="bullet">
/// <item>an Event identical to one recorded before (same object, type, reason and message) is a repeat: its count goes
/// up and its last time moves, on the object already written;</item>
/// <item>a spam filter per object, a token bucket of <see cref="Burst"/> Events refilled one per <see cref="Refill"/>,
/// so an object that keeps failing cannot flood the namespace's Events (repeats count up whatever the bucket says:
/// they write nothing new);</item>
/// <item>at most <see cref="Capacity"/> Events remembered, the least recently seen forgotten first (a forgotten one
/// recorded again is a new object, as after a restart).</item>
/// </list>
/// Client-go also folds Events that differ only in message into one after ten in ten minutes; ours keep their messages
/// to one cause per line, so they are left apart.
/// </summary>
public sealed class EventCorrelator(TimeProvider clock)
{
    public const int Burst = 25;
    public const int Capacity = 4096;
    public static readonly TimeSpan Refill = TimeSpan.FromMinutes(5);

    private static long _sequence;
    private readonly Lock _sync = new();
    private readonly Dictionary<Key, LinkedListNode<Seen>> _seen = [];
    private readonly LinkedList<Seen> _recency = new();
    private readonly Dictionary<(string Kind, string Namespace, string Name), (double Tokens, DateTimeOffset At)> _buckets = [];

    /// <summary>
    /// What to write for <paramref name="draft"/>: a new Event (<see cref="Correlated.Count"/> 1), a repeat of one written
    /// (with the <see cref="Correlated.Name"/> it was written under), or null when the spam filter drops it.
    /// </summary>
    public Correlated? Observe(EventDraft draft)
    {
        var now = clock.GetUtcNow();
        var key = new Key(draft.Regarding.Kind, draft.Regarding.Id.Namespace, draft.Regarding.Id.Name, draft.Regarding.Uid, draft.Warning, draft.Reason, draft.Message);
        lock (_sync)
        {
            if (_seen.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                node.Value = node.Value with { Count = node.Value.Count + 1, Last = now };
                return new Correlated(node.Value.Name, node.Value.Count, node.Value.First, now);
            }

            if (!TakeToken((key.Kind, key.Namespace, key.Name), now)) return null;
            var seen = new Seen(key, Name(draft.Regarding.Id.Name, now), 1, now, now);
            _seen[key] = _recency.AddFirst(seen);
            if (_seen.Count > Capacity)
            {
                _seen.Remove(_recency.Last!.Value.Key);
                _recency.RemoveLast();
            }

            return new Correlated(seen.Name, 1, now, now);
        }
    }

    /// <summary>The Event written as <paramref name="name"/> is gone (expired, deleted): a repeat is written anew.</summary>
    public void Forget(string name)
    {
        lock (_sync)
        {
            if (_recency.FirstOrDefault(s => s.Name == name) is { } seen && _seen.Remove(seen.Key, out var node)) _recency.Remove(node);
        }
    }

    private bool TakeToken((string, string, string) subject, DateTimeOffset now)
    {
        var (tokens, at) = _buckets.TryGetValue(subject, out var bucket) ? bucket : (Burst, now);
        tokens = Math.Min(Burst, tokens + ((now - at) / Refill));
        if (tokens < 1)
        {
            _buckets[subject] = (tokens, now);
            return false;
        }

        _buckets[subject] = (tokens - 1, now);
        return true;
    }

    /// <summary>As client-go names Events: the object's name and the time in hex nanoseconds, unique per object.</summary>
    private static string Name(string objectName, DateTimeOffset now) =>
        $"{objectName}.{(now.ToUnixTimeMilliseconds() * 1_000_000 + Interlocked.Increment(ref _sequence) % 1_000_000):x}";

    private sealed record Key(string Kind, string Namespace, string Name, string? Uid, bool Warning, string Reason, string Message);

    private sealed record Seen(Key Key, string Name, int Count, DateTimeOffset First, DateTimeOffset Last);
}
