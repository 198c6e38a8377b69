namespace Archiver.Actors.Ports;

/// <summary>
/// An Event to record about <paramref name="Regarding"/>: <paramref name="Warning"/> or Normal, a CamelCase
/// <paramref name="Reason"/> and a one-line <paramref name="Message"/>, as the Kubernetes API conventions ask
/// (https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/event-style-guide.md).
/// </summary>
public sealed record EventDraft(EventSubject Regarding, bool Warning, string Reason, string Message)
{
    public static EventDraft Normal(EventSubject regarding, string reason, string message) => new(regarding, false, reason, message);

    public static EventDraft Warn(EventSubject regarding, string reason, string message) => new(regarding, true, reason, message);
}
