using System.Collections.Concurrent;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.StorageIndexes;

namespace Archiver.Actors.Tests;

/// <summary>Workloads that record the volume snapshots they are asked to delete, the rest passed to <paramref name="inner"/>.</summary>
internal sealed class SnapshotRecordingWorkloads(IArchivingWorkloads inner) : IArchivingWorkloads
{
    public ConcurrentQueue<VolumeSnapshotRef> Deleted { get; } = new();

    public Task EnsureArchivingAsync(ResourceId database, ArchivingSpec spec, CancellationToken cancellation = default) => inner.EnsureArchivingAsync(database, spec, cancellation);

    public Task StopArchivingAsync(ResourceId database, string? databaseUid = null, CancellationToken cancellation = default) => inner.StopArchivingAsync(database, databaseUid, cancellation);

    public Task RestartAsync(ResourceId database, string token, CancellationToken cancellation = default) => inner.RestartAsync(database, token, cancellation);

    public Task<RolloutProgress> RolloutAsync(ResourceId database, CancellationToken cancellation = default) => inner.RolloutAsync(database, cancellation);

    public Task<ArchivingReport?> ReportAsync(ResourceId database, CancellationToken cancellation = default) => inner.ReportAsync(database, cancellation);

    public Task DeleteVolumeSnapshotsAsync(IReadOnlyList<VolumeSnapshotRef> snapshots, CancellationToken cancellation = default)
    {
        foreach (var snapshot in snapshots) Deleted.Enqueue(snapshot);
        return Task.CompletedTask;
    }
}
