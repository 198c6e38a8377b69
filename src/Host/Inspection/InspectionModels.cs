using System.Text.Json;

namespace Archiver.Host.Inspection;

/// <summary>The cluster as the answering node sees it.</summary>
public sealed record MembersResponse(string Self, string? Leader, int Unreachable, IReadOnlyList<MemberInfo> Members);

/// <param name="UpSince">When the answering node saw the member become Up. A member that was already Up when this
/// node started watching shows that moment instead, and <paramref name="UpSinceIsUpperBound"/> says so: Akka keeps
/// no join times, only the order of joining (<paramref name="AgeRank"/>).</param>
/// <param name="Reachable">False when a member's failure detector has lost it (Akka's public state does not say whose).</param>
/// <param name="AgeRank">1 for the member that came Up first (the oldest, which hosts the singletons), 2 for the next…</param>
public sealed record MemberInfo(
    string Address,
    string Status,
    IReadOnlyList<string> Roles,
    bool Reachable,
    bool IsLeader,
    bool IsSelf,
    int AgeRank,
    DateTimeOffset? UpSince,
    bool UpSinceIsUpperBound,
    string AppVersion);

public sealed record ShardsResponse(IReadOnlyList<RegionInfo> Regions);

/// <param name="Error">Set when the region did not answer in time; the other regions are still listed.</param>
public sealed record RegionInfo(string TypeName, int Shards, int Entities, IReadOnlyList<RegionNodeInfo> Nodes, string? Error);

/// <param name="Failed">Shards on that node that did not answer the statistics query.</param>
public sealed record RegionNodeInfo(string Address, int Shards, int Entities, IReadOnlyList<ShardInfo> ShardList, IReadOnlyList<string> Failed);

public sealed record ShardInfo(string Id, int Entities);

/// <summary>One sharded entity: where it lives, its live state (its own state query) and its persisted history.</summary>
/// <param name="Node">The member hosting the entity's shard; null when the shard is not allocated (no message has
/// reached it since the cluster started and it is not remembered).</param>
/// <param name="Phase">The phase a person reads: the resource's status phase, or the entity's own for an ops request.</param>
/// <param name="State">The answer to the entity's state query, as JSON; null when it did not answer (<paramref name="StateError"/>).</param>
/// <param name="HighestSequenceNr">The last event's sequence number in the journal (0: none).</param>
/// <param name="Events">The newest events, oldest first; <paramref name="EventsTruncated"/> when older ones were left out.</param>
public sealed record EntityResponse(
    string Kind,
    string Id,
    string PersistenceId,
    string Shard,
    string? Node,
    string? Phase,
    bool ResourceExists,
    JsonElement? State,
    string? StateError,
    long HighestSequenceNr,
    IReadOnlyList<JournalEvent> Events,
    bool EventsTruncated);

/// <param name="Type">The CLR type of the event.</param>
/// <param name="Manifest">Its versioned journal name (ProtocolContracts) for Archiver's own events; null for Akka's.</param>
/// <param name="Timestamp">When the journal wrote it.</param>
/// <param name="Data">The event as JSON (a <c>text</c> property holding its ToString when it cannot be rendered).</param>
public sealed record JournalEvent(long SequenceNr, string Type, string? Manifest, DateTimeOffset? Timestamp, JsonElement Data);

public sealed record JournalResponse(string PersistenceId, long HighestSequenceNr, IReadOnlyList<JournalEvent> Events, bool Truncated);

public sealed record PersistenceIdsResponse(IReadOnlyList<string> PersistenceIds);

public sealed record ActorsResponse(string Address, int Depth, IReadOnlyList<ActorNode> Roots);

/// <param name="Type">The actor's class; null for a remote or temporary reference.</param>
/// <param name="ChildCount">Every child, including those beyond the depth limit or the per-actor limit that <paramref name="Children"/> leaves out.</param>
public sealed record ActorNode(string Name, string Path, string? Type, int ChildCount, IReadOnlyList<ActorNode> Children);

public sealed record OpsRequestsResponse(IReadOnlyList<OpsRequestInfo> OpsRequests);

/// <param name="Phase">status.phase, or <c>New</c> before the entity has written one.</param>
/// <param name="AgeSeconds">Seconds since the resource was created.</param>
/// <param name="Message">The newest condition's message: what the request last reported.</param>
public sealed record OpsRequestInfo(
    string Namespace,
    string Name,
    string Database,
    string? Operation,
    string? Archiver,
    string Phase,
    bool Terminal,
    DateTimeOffset? Created,
    long AgeSeconds,
    string? Message);
