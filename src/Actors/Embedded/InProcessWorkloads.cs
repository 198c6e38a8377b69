using System.Collections.Concurrent;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;

namespace Archiver.Actors.Embedded;

/// <summary>
/// The embedded node's workloads: which databases have archiving on, with what settings, and which restarts
/// have happened. The oplog archiver itself plugs in through <see cref="ArchivingChanged"/> (it runs in-process
/// on the embedded node; in a cluster the sidecar does this work). With an <see cref="IArchivingJournal"/>, each
/// change of the archiving set is written to it before it takes effect, so an acknowledged one outlives the process.
/// </summary>
public sealed class InProcessWorkloads(IArchivingJournal? journal) : IArchivingWorkloads
{
    // Orders each change with its journal entry, so the journal's last entry for a database is its current spec.
    private readonly Lock _archivingGate = new();
    private readonly ConcurrentDictionary<ResourceId, ArchivingSpec> _archiving = new();
    private readonly ConcurrentDictionary<(ResourceId Database, string Token), DateTimeOffset> _restarts = new();
    private readonly ConcurrentDictionary<ResourceId, ArchivingReport> _reports = new();

    /// <summary>
    /// Raised when a database's archiving starts, changes (spec) or stops (null). Concurrent changes of one database
    /// may be raised out of order: a listener acts on <see cref="Archiving"/> as it is, the event only says where to look.
    /// </summary>
    public event Action<ResourceId, ArchivingSpec?>? ArchivingChanged;

    public InProcessWorkloads()
        : this(null)
    {
    }

    public IReadOnlyDictionary<ResourceId, ArchivingSpec> Archiving => _archiving;

    /// <summary>How many times each database really restarted: once per token, however often it was asked.</summary>
    public int RestartsOf(ResourceId database) => _restarts.Keys.Count(k => k.Database == database);

    public Task EnsureArchivingAsync(ResourceId database, ArchivingSpec spec, CancellationToken cancellation = default)
    {
        bool changed;
        lock (_archivingGate)
        {
            changed = !_archiving.TryGetValue(database, out var previous) || previous != spec;
            if (changed)
            {
                journal?.PutArchiving(database, spec);
                _archiving[database] = spec;
                // Another incarnation's report says nothing about this one.
                if (previous is not null && previous.DatabaseUid != spec.DatabaseUid) _reports.TryRemove(database, out _);
            }
        }

        if (changed) ArchivingChanged?.Invoke(database, spec);
        return Task.CompletedTask;
    }

    public Task StopArchivingAsync(ResourceId database, string? databaseUid = null, CancellationToken cancellation = default)
    {
        bool stopped;
        lock (_archivingGate)
        {
            stopped = _archiving.TryGetValue(database, out var running)
                && (databaseUid is null || running.DatabaseUid is null || running.DatabaseUid == databaseUid);
            if (stopped)
            {
                journal?.PutArchiving(database, null);
                _archiving.TryRemove(database, out _);
                _reports.TryRemove(database, out _);
            }
        }

        if (stopped) ArchivingChanged?.Invoke(database, null);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Loads the archiving set a node had, before anything watches <see cref="ArchivingChanged"/> (those that start
    /// later read <see cref="Archiving"/>). Nothing is journaled: the journal's owner is loading what it keeps.
    /// </summary>
    public void Import(IEnumerable<KeyValuePair<ResourceId, ArchivingSpec>> archiving)
    {
        lock (_archivingGate)
        {
            foreach (var (database, spec) in archiving) _archiving[database] = spec;
        }
    }

    /// <summary>Called by the in-process oplog archiver with its latest status; a late report of an incarnation no longer archived is dropped.</summary>
    public void Report(ResourceId database, ArchivingReport report, string? databaseUid = null)
    {
        if (_archiving.TryGetValue(database, out var running) && (databaseUid is null || running.DatabaseUid is null || running.DatabaseUid == databaseUid))
        {
            _reports[database] = report;
        }
    }

    public Task<ArchivingReport?> ReportAsync(ResourceId database, CancellationToken cancellation = default) =>
        Task.FromResult(_archiving.ContainsKey(database) && _reports.TryGetValue(database, out var report) ? report : null);

    public Task RestartAsync(ResourceId database, string token, CancellationToken cancellation = default)
    {
        _restarts.TryAdd((database, token), DateTimeOffset.UtcNow);
        return Task.CompletedTask;
    }

    /// <summary>Nothing rolls in-process: archiving is a task of this node, changed in place.</summary>
    public Task<RolloutProgress> RolloutAsync(ResourceId database, CancellationToken cancellation = default) =>
        Task.FromResult(new RolloutProgress(true, "no pods to roll in-process"));

    /// <summary>
    /// The embedded node takes no volume snapshots and reaches no cluster: snapshots named by backups a cluster took
    /// (a repository opened here after a disaster) are left where they are, to the cluster's own retention.
    /// </summary>
    public Task DeleteVolumeSnapshotsAsync(IReadOnlyList<Messages.Protocol.StorageIndexes.VolumeSnapshotRef> snapshots, CancellationToken cancellation = default) => Task.CompletedTask;
}
