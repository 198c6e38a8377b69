using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;

namespace Archiver.Storage.Catalog;

/// <summary>
/// Everything archived on one timeline: each component's oplog history and the full backups. Successful backups
/// are kept sorted by consistent point, so finding a target's base backup is one binary search.
/// </summary>
public sealed partial class TimelineCatalog
{
    private readonly Dictionary<string, ComponentHistory> _components = new(StringComparer.Ordinal);
    private readonly List<BackupManifest> _backups = [];
    private BackupManifest[] _succeeded = [];
    private long[] _succeededWalls = [];
    private bool _backupsDirty;

    public TimelineCatalog(RepositoryLayout layout, uint timeline)
    {
        Layout = layout;
        Timeline = timeline;
    }

    public RepositoryLayout Layout { get; }

    public uint Timeline { get; }

    /// <summary>The timeline's record (who owns it, where it branched from), if the repository has one.</summary>
    public TimelineRecord? Record { get; internal set; }

    public IReadOnlyDictionary<string, ComponentHistory> Components => _components;

    public IReadOnlyList<BackupManifest> Backups => _backups;

    /// <summary>Successful backups, oldest consistent point first.</summary>
    public IReadOnlyList<BackupManifest> SucceededBackups
    {
        get
        {
            EnsureBackups();
            return _succeeded;
        }
    }

    public ComponentHistory Component(string component)
    {
        if (!_components.TryGetValue(component, out var history))
        {
            history = new ComponentHistory(component, Timeline);
            _components.Add(component, history);
        }

        return history;
    }

    public void AddChunk(string component, in ChunkRange range) => Component(component).Add(range);

    public void AddBackup(BackupManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        _backups.RemoveAll(b => b.Id == manifest.Id);
        _backups.Add(manifest);
        _backupsDirty = true;
    }

    /// <summary>
    /// From the backup's consistent point to the end of the continuous oplog after it, across its components. The
    /// oplog must be continuous from where its replay starts (<see cref="BackupManifest.ReplayAfter"/>: T0 for a
    /// backup taken while writes went on), or the backup is not restorable.
    /// </summary>
    public RecoverableWindow WindowOf(BackupManifest backup)
    {
        ArgumentNullException.ThrowIfNull(backup);
        var endTs = OplogTimestamp.FromValue(ulong.MaxValue);
        var endWall = long.MaxValue;
        var restorable = true;
        string? limitedBy = null;
        foreach (var component in backup.Components)
        {
            var run = _components.TryGetValue(component, out var history) ? history.FindRunCovering(backup.ReplayAfter) : -1;
            var reaches = run >= 0 && history!.Runs[run].End >= backup.ConsistentAt;
            var (ts, wall) = reaches
                ? (history!.Runs[run].End, history.Runs[run].EndWallUnixMs)
                : (backup.ConsistentAt, backup.ConsistentWallUnixMs);
            restorable &= reaches || backup.ReplayAfter == backup.ConsistentAt;
            if (ts < endTs)
            {
                limitedBy = component;
            }

            endTs = ts < endTs ? ts : endTs;
            endWall = Math.Min(endWall, wall);
        }

        if (backup.Components.Count == 0)
        {
            (endTs, endWall) = (backup.ConsistentAt, backup.ConsistentWallUnixMs);
        }

        // A replica set this timeline archives after the backup's point that a cluster's backup does not hold: a shard
        // added to the cluster since (addShard). From where it joined, data may live on it (the balancer moves chunks
        // there), which the backup's replica sets alone cannot restore: the window ends before. Where its archive after
        // the backup's start begins, it joined no earlier; when that archive began before the backup (its replica set
        // was archived from its oplog's start, older than the addShard), when it joined is not known from the catalog,
        // and the window keeps the backup's own point only. A replica set whose archive ends before the backup's point
        // is a shard removed before it, whose data was moved to the others.
        string? joinedBy = null;
        if (backup.IsSharded)
        {
            foreach (var (name, history) in _components)
            {
                if (history.Runs.Count == 0 || backup.Components.Contains(name, StringComparer.Ordinal) || history.Runs[^1].End <= backup.ConsistentAt) continue;
                var run = history.Runs.First(r => r.End > backup.ReplayAfter);
                var (joinTs, joinWall) = run.From >= backup.ReplayAfter ? (run.From, run.FromWallUnixMs - 1) : (backup.ConsistentAt, backup.ConsistentWallUnixMs);
                if (joinTs >= endTs) continue;
                (endTs, endWall, limitedBy, joinedBy) = (joinTs, Math.Min(endWall, joinWall), name, name);
                // Joined while the backup was taken: its data is in no component of it.
                restorable &= joinTs >= backup.ConsistentAt;
            }
        }

        return new RecoverableWindow(Timeline, backup.Id, backup.ConsistentAt, backup.ConsistentWallUnixMs, endTs, Math.Max(endWall, backup.ConsistentWallUnixMs))
        {
            Restorable = restorable,
            LimitedBy = backup.Components.Count > 1 ? limitedBy : null,
            JoinedBy = joinedBy,
        };
    }

    /// <summary>Every successful backup's window, oldest first.</summary>
    public IReadOnlyList<RecoverableWindow> Windows() => [.. SucceededBackups.Select(WindowOf).Where(w => w.Restorable)];

    /// <summary>The windows merged where they touch or overlap: what a status shows as "recoverable from .. to ..".</summary>
    public IReadOnlyList<RecoverableWindow> MergedWindows()
    {
        var merged = new List<RecoverableWindow>();
        foreach (var window in Windows())
        {
            if (merged.Count > 0 && window.FromTs <= merged[^1].ToTs)
            {
                if (window.ToTs > merged[^1].ToTs)
                {
                    // The end is the later window's, and so is what ends it.
                    merged[^1] = merged[^1] with { ToTs = window.ToTs, ToWallUnixMs = window.ToWallUnixMs, LimitedBy = window.LimitedBy, JoinedBy = window.JoinedBy };
                }
            }
            else
            {
                merged.Add(window);
            }
        }

        return merged;
    }

    private void EnsureBackups()
    {
        if (!_backupsDirty)
        {
            return;
        }

        _succeeded = [.. _backups.Where(b => b.Status == BackupStatus.Succeeded).OrderBy(b => b.ConsistentAt).ThenBy(b => b.Id, StringComparer.Ordinal)];
        _succeededWalls = [.. _succeeded.Select(b => b.ConsistentWallUnixMs)];
        _backupsDirty = false;
    }
}
