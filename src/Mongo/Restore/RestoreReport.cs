using Archiver.Storage;

namespace Archiver.Mongo.Restore;

/// <summary>What a successful restore did, and what it deliberately left out.</summary>
public sealed record RestoreReport
{
    public required string BackupId { get; init; }

    public required string Target { get; init; }

    /// <summary>The timeline the target fell on.</summary>
    public uint Timeline { get; init; }

    /// <summary>What the restore recorded in the target as its lineage (null when it restored only some databases).</summary>
    public Archiver.Storage.Layout.RestoreLineage? Lineage { get; init; }

    /// <summary>The last oplog entry applied (the backup's consistent point if none was).</summary>
    public required OplogTimestamp ReachedTs { get; init; }

    public required DateTimeOffset ReachedWall { get; init; }

    public long CollectionsRestored { get; init; }

    public long DocumentsLoaded { get; init; }

    public long EntriesReplayed { get; init; }

    public long TransactionsApplied { get; init; }

    /// <summary>Transactions begun at or before the target whose commit came after it: applied not at all.</summary>
    public long TransactionsNotCommittedAtTarget { get; init; }

    /// <summary>The users written, by restored name (<c>db.user</c>; never more of them), less those the replay dropped.</summary>
    public IReadOnlyList<string> UsersRestored { get; init; } = [];

    /// <summary>The roles written, by restored name (<c>db.role</c>), less those the replay dropped.</summary>
    public IReadOnlyList<string> RolesRestored { get; init; } = [];

    /// <summary>
    /// Entries skipped by namespace (<c>local</c>, <c>config.system.sessions</c>, <c>config.transactions</c>, users and roles not restored
    /// (<c>admin.system.users</c>, <c>admin.system.roles</c>: entries and backed-up documents), excluded databases), with
    /// counts. Time-series collections are restored, so they are never listed.
    /// </summary>
    public IReadOnlyDictionary<string, long> Skipped { get; init; } = new Dictionary<string, long>();

    public TimeSpan Duration { get; init; }

    /// <summary>This run took up a restore stopped part way (its marker was on the target), rather than starting one.</summary>
    public bool Resumed { get; init; }

    /// <summary>
    /// This restore had already finished on the target (its lineage names it and its marker is gone: a run stopped
    /// after its last write): this run did nothing, so the counts are zero and the report is what the lineage says.
    /// </summary>
    public bool AlreadyFinished { get; init; }
}
