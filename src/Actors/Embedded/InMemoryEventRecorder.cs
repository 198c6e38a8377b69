using Archiver.Actors.Ports;
using Archiver.Actors.Reporting;

namespace Archiver.Actors.Embedded;

/// <summary>
/// The embedded node's Events: kept in memory, aggregated as in a cluster, dropped after <see cref="TimeToLive"/> as
/// the API server drops them (its <c>--event-ttl</c>, one hour by default), and lost with the process, as nothing
/// but a notice is lost with them: the status and the journal keep what happened.
/// </summary>
public sealed class InMemoryEventRecorder(TimeProvider clock) : IEventRecorder
{
    public static readonly TimeSpan TimeToLive = TimeSpan.FromHours(1);

    private readonly EventCorrelator _correlator = new(clock);
    private readonly Lock _sync = new();
    private readonly Dictionary<string, (EventDraft Draft, RecordedEvent Event)> _events = [];

    public InMemoryEventRecorder()
        : this(TimeProvider.System)
    {
    }

    public void Record(EventDraft draft)
    {
        if (_correlator.Observe(draft) is not { } correlated) return;
        var recorded = new RecordedEvent(draft.Warning ? "Warning" : "Normal", draft.Reason, draft.Message, correlated.Count, correlated.First, correlated.Last, "archiver");
        lock (_sync)
        {
            _events[correlated.Name] = (draft, recorded);
            var expired = _events.Where(e => clock.GetUtcNow() - e.Value.Event.LastSeen > TimeToLive).Select(e => e.Key).ToList();
            foreach (var name in expired)
            {
                _events.Remove(name);
                _correlator.Forget(name);
            }
        }
    }

    public Task<IReadOnlyList<RecordedEvent>> ListAsync(EventSubject regarding, CancellationToken cancellation = default)
    {
        lock (_sync)
        {
            IReadOnlyList<RecordedEvent> found = [.. _events.Values
                .Where(e => e.Draft.Regarding.Kind == regarding.Kind && e.Draft.Regarding.Id == regarding.Id
                    && (regarding.Uid is null || e.Draft.Regarding.Uid is null || e.Draft.Regarding.Uid == regarding.Uid))
                .Select(e => e.Event)
                .OrderBy(e => e.LastSeen)];
            return Task.FromResult(found);
        }
    }
}
