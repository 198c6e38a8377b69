namespace Archiver.Actors.Ports;

/// <summary>
/// Events on the objects users look at (<c>kubectl describe</c>): core/v1 Events in a cluster, kept in memory on the
/// embedded node. Recording never blocks or fails the caller (an actor's step): an Event is a notice, and losing one
/// must not stop a backup. A repeat of the same Event counts up on the one already recorded, as the API server's event
/// recorder does, rather than adding an object each time.
/// </summary>
public interface IEventRecorder
{
    /// <summary>Queues the Event; it is written in the background.</summary>
    void Record(EventDraft draft);

    /// <summary>The Events recorded about <paramref name="regarding"/>, oldest first.</summary>
    Task<IReadOnlyList<RecordedEvent>> ListAsync(EventSubject regarding, CancellationToken cancellation = default);
}
