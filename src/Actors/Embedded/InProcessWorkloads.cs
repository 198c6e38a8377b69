using System.Collections.Concurrent;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;

namespace Archiver.Actors.Embedded;

/// <summary>
/// The embedded node's workloads: which databases have archiving on, with what settings, and which restarts
/// have happened. The oplog archiver itself plugs in through <see cref="ArchivingChanged"/> (it runs in-process
/// on the embedded node; in a cluster the sidecar does this work).
/// </summary>
public sealed class InProcessWorkloads : IArchivingWorkloads
{
    private readonly ConcurrentDictionary<ResourceId, ArchivingSpec> _archiving = new();
    private readonly ConcurrentDictionary<(ResourceId Database, string Token), DateTimeOffset> _restarts = new();
    private readonly ConcurrentDictionary<ResourceId, ArchivingReport> _reports = new();

    /// <summary>
    /// Raised when a database's archiving starts, changes (spec) or stops (null). Concurrent changes of one database
    /// may be raised out of order: a listener acts on <see cref="Archiving"/> as it is, the event only says where to look.
    /// </summary>
    public event Action<ResourceId, ArchivingSpec?>? ArchivingChanged;

    public IReadOnlyDictionary<ResourceId, ArchivingSpec> Archiving => _archiving;

    /// <summary>How many times each database really restarted: once per token, however often it was asked.</summary>
    public int RestartsOf(ResourceId database) => _restarts.Keys.Count(k => k.Database == database);

    public Task EnsureArchivingAsync(ResourceId database, ArchivingSpec spec, CancellationToken cancellation = default)
    {
        var previous = _archiving.TryGetValue(database, out var p) ? p : null;
        _archiving[database] = spec;
        // Another incarnation's report says nothing about this one.
        if (previous is not null && previous.DatabaseUid != spec.DatabaseUid) _reports.TryRemove(database, out _);
        if (previous != spec) ArchivingChanged?.Invoke(database, spec);
        return Task.CompletedTask;
    }

    public Task StopArchivingAsync(ResourceId database, string? databaseUid = null, CancellationToken cancellation = default)
    {
        if (_archiving.TryGetValue(database, out var running) && (databaseUid is null || running.DatabaseUid is null || running.DatabaseUid == databaseUid)
            && _archiving.TryRemove(KeyValuePair.Create(database, running)))
        {
            _reports.TryRemove(database, out _);
            ArchivingChanged?.Invoke(database, null);
        }

        return Task.CompletedTask;
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
}
