using Archiver.Messages.Protocol.StorageIndexes;

namespace Archiver.Host.Api;

/// <summary>Every failed request answers with this: one message a person can act on, and the details behind it.</summary>
public sealed record ApiError(string Message, IReadOnlyList<string>? Details = null);

public sealed record ApplyResult(string Kind, string Namespace, string Name, ApplyAction Action);

/// <summary>A database's recoverable history: what <c>archiver windows</c> shows.</summary>
/// <param name="Timelines">Every timeline under the prefix (null from a node of an older version).</param>
/// <param name="OwnTimeline">The timeline this database archives into, if it has one yet.</param>
public sealed record WindowsResponse(
    string Database, string Storage, string Prefix, IReadOnlyList<WindowInfo> Windows, IReadOnlyList<GapInfo> Gaps,
    IReadOnlyList<TimelineInfo>? Timelines = null, uint? OwnTimeline = null);

/// <summary>How a target is reached (<see cref="Plan"/>), or why it cannot be (<see cref="Refusal"/>, told in <see cref="Message"/>).</summary>
public sealed record PlanResponse(string Database, string Storage, string Prefix, string Target, PlanInfo? Plan, RefusalInfo? Refusal, string? Message = null);

public sealed record BackupResponse(string Database, string RunId);

/// <summary>A restore into a new MongoDB resource <paramref name="Into"/> (<c>namespace/name</c>).</summary>
/// <param name="ConnectionSecret">The secret (in the new database's namespace) whose <c>uri</c> reaches its replica set.</param>
/// <param name="Databases">Restore only these source databases, renamed where given (<c>shop=shop_copy,crm</c>).</param>
/// <param name="NoUsersAndRoles">Leave out the users and roles defined on the restored databases (restored by default).</param>
public sealed record RestoreRequest(string At, string Into, string? ConnectionSecret, string? Databases, bool NoUsersAndRoles = false);

public sealed record RestoreResponse(string Source, string Into, DateTimeOffset Target, string Storage, string Prefix);

/// <summary>An object's Events, oldest first.</summary>
public sealed record EventsResponse(IReadOnlyList<Actors.Ports.RecordedEvent> Items);
