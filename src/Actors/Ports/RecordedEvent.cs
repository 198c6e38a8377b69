namespace Archiver.Actors.Ports;

/// <summary>
/// An Event as read back, aggregated: <paramref name="Count"/> times between <paramref name="FirstSeen"/> and
/// <paramref name="LastSeen"/>, as <c>kubectl describe</c> lists it (Type, Reason, Age, From, Message).
/// </summary>
public sealed record RecordedEvent(string Type, string Reason, string Message, int Count, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, string Source);
