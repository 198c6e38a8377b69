using Archiver.Storage.FullBackups;
using Archiver.Storage.Oplog;

namespace Archiver.Storage.Catalog;

public sealed partial class TimelineCatalog
{
    /// <summary>
    /// The plan that reaches <paramref name="target"/>: the newest successful backup at or before it, and each
    /// component's chunks from that backup's consistent point to the target. Or why there is none.
    /// </summary>
    public RestorePlanResult Plan(RecoveryTarget target, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(target);
        EnsureBackups();
        if (_succeeded.Length == 0)
        {
            return Refuse(RefusalReason.NoBackup, $"Timeline {Timeline} has no successful full backup to start from.");
        }

        // An oplog ts counts seconds of cluster time, which follows the wall clock: one ahead of now is in the future.
        if ((target.LastWallUnixMs is { } time && time > now.ToUnixTimeMilliseconds()) || (target.LastTs is { } future && future.Seconds > now.ToUnixTimeSeconds()))
        {
            return Refuse(RefusalReason.InFuture, $"The target {target} is in the future (now is {now:O}).", latest: WindowOf(_succeeded[^1]).To);
        }

        var index = BaseBackupIndex(target);
        if (index < 0)
        {
            var first = WindowOf(_succeeded[0]);
            return Refuse(RefusalReason.BeforeFirstBackup, $"The target {target} is before the first successful backup, consistent at {first.From:O}.", earliest: first.From);
        }

        // A backup taken while writes went on is usable only with the oplog from its T0: skip those without it.
        var newest = _succeeded[index];
        var window = WindowOf(newest);
        while (!window.Restorable && index > 0)
        {
            window = WindowOf(_succeeded[--index]);
        }

        if (!window.Restorable)
        {
            return Refuse(
                RefusalReason.InsideGap,
                $"Backup {newest.Id} needs the oplog from {newest.ReplayAfter} (T0) to {newest.ConsistentAt} (T1), which is not archived continuously, and no earlier backup can reach the target {target}.");
        }

        var backup = _succeeded[index];
        if (target.LastTs is { } ts ? ts <= window.ToTs : target.LastWallUnixMs!.Value <= window.ToWallUnixMs)
        {
            return RestorePlanResult.Of(BuildPlan(target, backup));
        }

        var latest = WindowOf(_succeeded[^1]);
        var latestEnd = latest.ToTs > window.ToTs ? latest : window;
        var lastArchived = LastArchived(backup);
        if (target.LastTs is { } targetTs ? targetTs > lastArchived.Ts : target.LastWallUnixMs!.Value > lastArchived.WallUnixMs)
        {
            var whose = lastArchived.Component is { } last && backup.Components.Count > 1 ? $" of {last}, whose archive ends first of the cluster's replica sets" : string.Empty;
            return Refuse(
                RefusalReason.AfterLastArchivedEntry,
                $"The target {target} is after the last archived oplog entry{whose} ({DateTimeOffset.FromUnixTimeMilliseconds(lastArchived.WallUnixMs):O}); the latest recoverable time is {latestEnd.To:O}.",
                latest: latestEnd.To);
        }

        var next = index + 1 < _succeeded.Length ? WindowOf(_succeeded[index + 1]) : null;
        var after = next is null
            ? "no successful backup follows the gap: take a new full backup"
            : $"the next recoverable time is {next.From:O} (backup {next.BackupId})";
        if (window.JoinedBy is { } joined)
        {
            return Refuse(
                RefusalReason.InsideGap,
                $"The target {target} is after replica set {joined} joined the cluster, and backup {backup.Id} does not hold it: the cluster's data then is not all in the backup's replica sets ({string.Join(", ", backup.Components)}); restore to {window.To:O} or before, or {(next is null ? "take a new full backup, which holds every shard" : $"from backup {next.BackupId} on ({next.From:O})")}.",
                latest: latestEnd.To,
                gapStart: window.To,
                gapEnd: next?.From);
        }

        return Refuse(
            RefusalReason.InsideGap,
            $"The target {target} falls in a gap of the archived oplog{(window.LimitedBy is { } broken ? $" of {broken}" : string.Empty)}: backup {backup.Id} is recoverable only up to {window.To:O}{(window.LimitedBy is not null ? " (a point of a sharded cluster needs every replica set's archive)" : string.Empty)}, and {after}.",
            latest: latestEnd.To,
            gapStart: window.To,
            gapEnd: next?.From);
    }

    private int BaseBackupIndex(RecoveryTarget target)
    {
        // The last backup whose consistent point is at or before the target (upper bound minus one).
        int lo = 0, hi = _succeeded.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            var atOrBefore = target.LastTs is { } ts
                ? _succeeded[mid].ConsistentAt <= ts
                : _succeededWalls[mid] <= target.LastWallUnixMs!.Value;
            if (atOrBefore)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo - 1;
    }

    private (OplogTimestamp Ts, long WallUnixMs, string? Component) LastArchived(BackupManifest backup)
    {
        var ts = OplogTimestamp.FromValue(ulong.MaxValue);
        var wall = long.MaxValue;
        string? first = null;
        foreach (var component in backup.Components)
        {
            if (_components.TryGetValue(component, out var history) && history.Runs.Count > 0)
            {
                var run = history.Runs[^1];
                if (run.End < ts)
                {
                    first = component;
                }

                ts = run.End < ts ? run.End : ts;
                wall = Math.Min(wall, run.EndWallUnixMs);
            }
            else
            {
                return (backup.ConsistentAt, backup.ConsistentWallUnixMs, component);
            }
        }

        return (ts, wall, first);
    }

    private RestorePlan BuildPlan(RecoveryTarget target, BackupManifest backup)
    {
        var components = new List<PlannedComponent>(backup.Components.Count);
        var bytes = backup.TotalStoredBytes;
        var targetWall = target.LastWallUnixMs ?? long.MaxValue;
        var targetTs = target.LastTs ?? OplogTimestamp.FromValue(ulong.MaxValue);
        foreach (var component in backup.Components)
        {
            var chunks = new List<ChunkDescriptor>();
            if (_components.TryGetValue(component, out var history) && history.FindRunCovering(backup.ReplayAfter) is var runIndex and >= 0)
            {
                var run = history.Runs[runIndex];
                for (var i = history.FirstChainIndexAfter(backup.ReplayAfter, run); i < run.ChainEnd; i++)
                {
                    var chunk = history.ChainChunk(i);
                    // Up to T1 every chunk is needed whatever its wall says (walls need not rise with ts).
                    if (chunk.First > backup.ConsistentAt && (chunk.First > targetTs || chunk.FirstWallUnixMs > targetWall)
                        && (!backup.IsSharded || chunk.FirstWallUnixMs > LookaheadEnd(target)))
                    {
                        break;
                    }

                    chunks.Add(new ChunkDescriptor(Layout.ChunkKey(component, Timeline, chunk), component, Timeline, chunk));
                    bytes += chunk.SizeBytes;
                }
            }

            components.Add(new PlannedComponent(component, chunks));
        }

        return new RestorePlan(target, Timeline, backup, components, bytes)
        {
            BasePrefix = Layout.Prefix,
            Segments = [.. components.Select(c => new ReplaySegment(Layout.Prefix, Timeline, c.Component, backup.ReplayAfter, null, c.Chunks))],
        };
    }

    /// <summary>
    /// How far past the target a sharded cluster's plan reads: each replica set logs the commit of a two-phase
    /// transaction at a time of its own, after the commit time every shard shares, so a transaction committed at the
    /// target may be logged after it on some shard (see the restore's prepared transactions); and a target given as a
    /// time becomes one cluster time, which a shard whose clock runs behind may reach after the target's wall time.
    /// </summary>
    public static readonly TimeSpan ShardedLookahead = TimeSpan.FromSeconds(60);

    private static long LookaheadEnd(RecoveryTarget target) =>
        (target.LastWallUnixMs ?? checked((long)target.LastTs!.Value.Seconds * 1000)) + (long)ShardedLookahead.TotalMilliseconds;

    private static RestorePlanResult Refuse(
        RefusalReason reason,
        string message,
        DateTimeOffset? earliest = null,
        DateTimeOffset? latest = null,
        DateTimeOffset? gapStart = null,
        DateTimeOffset? gapEnd = null) =>
        RestorePlanResult.Refused(new PlanRefusal(reason, message, earliest, latest, gapStart, gapEnd));
}
