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

    Task StopArchivingAsync(ResourceId database, CancellationToken cancellation = default);

    /// <summary>
    /// Roll the database's pods once for <paramref name="token"/>, as <c>kubectl rollout restart</c> does with its
    /// annotation: asking again with the same token does not roll them again.
    /// </summary>
    Task RestartAsync(ResourceId database, string token, CancellationToken cancellation = default);

    /// <summary>What the database's oplog archiver last reported, or null when none runs or none has reported yet.</summary>
    Task<ArchivingReport?> ReportAsync(ResourceId database, CancellationToken cancellation = default);
}

/// <summary>An oplog archiver's view of itself, per replica-set member it archives.</summary>
/// <param name="Lag">Newest majority-committed write minus newest archived entry.</param>
/// <param name="Headroom">How long until the oldest unarchived entry would roll off the oplog.</param>
/// <param name="Problem">A condition the archiver raised (a gap after a rollover, storage unreachable), if any.</param>
public sealed record ArchivingReport(string Component, DateTimeOffset? WalStart, DateTimeOffset? WalEnd, TimeSpan Lag, TimeSpan? Headroom, string? Problem, DateTimeOffset ReportedAt);

/// <summary>Where and how a database's oplog is archived.</summary>
public sealed record ArchivingSpec(ResourceId Storage, string Prefix, string SpecHash, TimeSpan ChunkMaxAge, long ChunkMaxSize);
