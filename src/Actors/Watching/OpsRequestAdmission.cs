using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.OpsRequests;

namespace Archiver.Actors.Watching;

/// <summary>
/// How many ops requests run at once, cluster-wide, and which start next: a controller's bounded workers over its
/// work queue. A new (Pending) request waits its turn, oldest first; it holds a place from the moment it is started
/// (or seen Progressing, as a remembered one restarted on its own is) until it reaches a terminal phase or is
/// deleted. Without the bound, a fleet applied at once starts thousands of entities together, and their journal
/// reads and writes queue past the journal's and sharding's timeouts, which then fail and restart them. A start
/// message lost on the way (its node died first) is sent again once the request has stayed Pending too long.
/// </summary>
public sealed class OpsRequestAdmission(int limit, TimeSpan resendAfter)
{
    private readonly Dictionary<ResourceId, Running> _running = [];
    private readonly LinkedList<StartOpsRequest> _waiting = [];
    private readonly Dictionary<ResourceId, LinkedListNode<StartOpsRequest>> _waitingById = [];

    public int InFlight => _running.Count;

    public int Waiting => _waiting.Count;

    /// <summary>The request is Pending: it queues unless it already runs or waits. Returns what to start now.</summary>
    public IReadOnlyList<StartOpsRequest> Pending(StartOpsRequest start, DateTimeOffset now)
    {
        if (!_running.ContainsKey(start.OpsRequestId) && !_waitingById.ContainsKey(start.OpsRequestId))
        {
            _waitingById[start.OpsRequestId] = _waiting.AddLast(start);
        }

        return Fill(now);
    }

    /// <summary>The request is Progressing: it holds a place, whoever started it.</summary>
    public IReadOnlyList<StartOpsRequest> Progressing(ResourceId id, DateTimeOffset now)
    {
        Unqueue(id);
        _running[id] = new Running(null, now);
        return Fill(now);
    }

    /// <summary>The request finished (or is gone): its place goes to the next one waiting.</summary>
    public IReadOnlyList<StartOpsRequest> Finished(ResourceId id, DateTimeOffset now)
    {
        Unqueue(id);
        _running.Remove(id);
        return Fill(now);
    }

    /// <summary>Starts sent that have not made their request Progressing within the time: to send again (idempotent).</summary>
    public IReadOnlyList<StartOpsRequest> Overdue(DateTimeOffset now)
    {
        var again = new List<StartOpsRequest>();
        foreach (var (id, running) in _running.ToList())
        {
            if (running.Start is not { } start || now - running.SentAt < resendAfter) continue;
            _running[id] = running with { SentAt = now };
            again.Add(start);
        }

        return again;
    }

    private List<StartOpsRequest> Fill(DateTimeOffset now)
    {
        var start = new List<StartOpsRequest>();
        while (_running.Count < limit && _waiting.First is { } next)
        {
            _waiting.RemoveFirst();
            _waitingById.Remove(next.Value.OpsRequestId);
            _running[next.Value.OpsRequestId] = new Running(next.Value, now);
            start.Add(next.Value);
        }

        return start;
    }

    private void Unqueue(ResourceId id)
    {
        if (!_waitingById.Remove(id, out var node)) return;
        _waiting.Remove(node);
    }

    /// <summary>A place held: by a start sent (and not yet seen working), or by a request seen Progressing.</summary>
    private sealed record Running(StartOpsRequest? Start, DateTimeOffset SentAt);
}
