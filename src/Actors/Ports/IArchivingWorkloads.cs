using Archiver.Messages.Protocol;

namespace Archiver.Actors.Ports;

/// <summary>
/// What runs a database's oplog archiving. In a cluster: the sidecar in the database's pod template and the
/// rollout that applies it. On the embedded node: an oplog archiver running in-process.
/// Every call is idempotent: repeating it after a crash changes nothing more.
/// </summary>
public interface IArchivingWorkloads
{
    /// <summary>Make archiving part of the database's workload (the sidecar), with this configuration.</summary>
    Task EnsureArchivingAsync(ResourceId database, ArchivingSpec spec, CancellationToken cancellation = default);

    /// <summary>
    /// Take archiving out of the database's workload. With <paramref name="databaseUid"/>, only if what runs there
    /// archives that incarnation: a database deleted and created again under the same name keeps the new one's
    /// archiving when a late stop of the old one's arrives.
    /// </summary>
    Task StopArchivingAsync(ResourceId database, string? databaseUid = null, CancellationToken cancellation = default);

    /// <summary>
    /// Roll the database's pods once for <paramref name="token"/>, as <c>kubectl rollout restart</c> does with its
    /// annotation: asking again with the same token does not roll them again.
    /// </summary>
    Task RestartAsync(ResourceId database, string token, CancellationToken cancellation = default);

    /// <summary>
    /// How far the database's pods are from all running its current template, ready: done once every replica runs
    /// it (as <c>kubectl rollout status</c> decides), or when there is no workload to roll. A workload that does not
    /// roll by itself (KubeDB's, <c>updateStrategy: OnDelete</c>) is moved on by each call: once every pod is ready, the
    /// next pod on an old template is deleted (standbys first, the primary last), as KubeDB's own restarts do.
    /// </summary>
    Task<RolloutProgress> RolloutAsync(ResourceId database, CancellationToken cancellation = default);

    /// <summary>What the database's oplog archiver last reported, or null when none runs or none has reported yet.</summary>
    Task<ArchivingReport?> ReportAsync(ResourceId database, CancellationToken cancellation = default);

    /// <summary>
    /// Deletes the CSI volume snapshots of backups retention removes (their contents then follow their class's
    /// deletionPolicy); a snapshot already gone is not an error.
    /// </summary>
    Task DeleteVolumeSnapshotsAsync(IReadOnlyList<Messages.Protocol.StorageIndexes.VolumeSnapshotRef> snapshots, CancellationToken cancellation = default);
}

/// <summary>A rollout's progress: <paramref name="Done"/>, or what it waits for, in a person's words.</summary>
public sealed record RolloutProgress(bool Done, string Message);

/// <summary>An oplog archiver's view of itself, per replica-set member it archives.</summary>
/// <param name="Lag">Newest majority-committed write minus newest archived entry; null when unknown (the replica set cannot be read).</param>
/// <param name="Headroom">How long until the oldest unarchived entry would roll off the oplog.</param>
/// <param name="Problem">A condition the archiver raised (a gap after a rollover, storage unreachable), if any, in one line.</param>
public sealed record ArchivingReport(string Component, DateTimeOffset? WalStart, DateTimeOffset? WalEnd, TimeSpan? Lag, TimeSpan? Headroom, string? Problem, DateTimeOffset ReportedAt)
{
    /// <summary>
    /// Set when the archiver refuses to write at all (see <see cref="ArchivingRefusals"/>): the database is not
    /// archived, whatever else the report says, and its status must not claim it is.
    /// </summary>
    public string? Refusal { get; init; }

    /// <summary>The kind of <see cref="Problem"/> as a CamelCase reason (<c>SourceUnavailable</c>), for the <c>Archiving</c> condition.</summary>
    public string? ProblemReason { get; init; }

    /// <summary>
    /// From a sidecar whose member is not the primary: it archives nothing and waits to take over. Only the primary's
    /// sidecar archives, so a replica set is one stream however many pods carry the sidecar; a standby's report counts
    /// only when no member archives.
    /// </summary>
    public bool Standby { get; init; }

    /// <summary>
    /// A sharded cluster's report is made of its replica sets' (the config server's and each shard's, see
    /// <see cref="Combine"/>); null for a replica set.
    /// </summary>
    public IReadOnlyList<ArchivingReport>? Parts { get; init; }

    /// <summary>The component name of a sharded cluster's combined report: its windows are the cluster's, every part covering them.</summary>
    public const string ClusterComponent = "cluster";

    /// <summary>
    /// One report for a sharded cluster from its replica sets' own: what is archived is what every one of them has
    /// (the latest start, the earliest end), the lag and headroom are the worst, and a problem of any one is the
    /// database's problem, named by its replica set: a shard whose stream stopped raises the alarm for the whole cluster,
    /// since no point after its last chunk can be restored. A part that has not reported yet leaves the range unknown.
    /// </summary>
    public static ArchivingReport Combine(IReadOnlyList<ArchivingReport> parts, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var problems = parts.Where(p => p.Problem is not null).ToList();
        return new ArchivingReport(
            ClusterComponent,
            parts.Count > 0 && parts.All(p => p.WalStart is not null) ? parts.Max(p => p.WalStart) : null,
            parts.Count > 0 && parts.All(p => p.WalEnd is not null) ? parts.Min(p => p.WalEnd) : null,
            parts.Count > 0 && parts.All(p => p.Lag is not null) ? parts.Max(p => p.Lag) : null,
            parts.Where(p => p.Headroom is not null).Select(p => p.Headroom).DefaultIfEmpty(null).Min(),
            problems.Count == 0 ? null : string.Join("; ", problems.Select(p => $"{p.Component}: {p.Problem}")),
            now)
        {
            Refusal = parts.Select(p => p.Refusal).FirstOrDefault(r => r is not null),
            ProblemReason = problems.Select(p => p.ProblemReason).FirstOrDefault(r => r is not null),
            Parts = parts,
        };
    }
}

/// <summary>Why an oplog archiver refuses to write, as reported; each is a reason of the database's <c>Archiving</c> condition.</summary>
public static class ArchivingRefusals
{
    /// <summary>The repository prefix holds another database's history, which this one does not continue.</summary>
    public const string ForeignHistory = "ForeignHistory";

    /// <summary>The replica set holds a restore that has not finished (or failed): nothing of it is history yet.</summary>
    public const string RestoreUnfinished = "RestoreUnfinished";
}

/// <summary>Where and how a database's oplog is archived.</summary>
/// <param name="DatabaseUid">The incarnation archived (<c>metadata.uid</c>): a new database of the same name is another stream.</param>
/// <param name="IdleFlush">How often a chunk holding only no-ops is cut (<c>walBackup.config.idleFlushInterval</c>).</param>
public sealed record ArchivingSpec(ResourceId Storage, string Prefix, string SpecHash, TimeSpan ChunkMaxAge, long ChunkMaxSize, string? DatabaseUid = null, TimeSpan? IdleFlush = null)
{
    /// <summary>The default of <c>walBackup.config.idleFlushInterval</c>.</summary>
    public static readonly TimeSpan DefaultIdleFlush = TimeSpan.FromMinutes(5);
}
