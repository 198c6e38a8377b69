using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;

namespace Archiver.Storage.Catalog;

/// <summary>
/// Timelines and the lineage between them. A database restored from a history archives on a timeline of its own
/// (see <see cref="TimelineRecord"/>): its history is its parent's up to the branch point, then its own oplog. A
/// target at or after the branch point falls on the new timeline; one before it on the parent (whose history is the
/// same up to there). Planning never mixes two lineages: the parent's entries after the branch point are never
/// replayed for the new timeline, and the new timeline's entries never for the parent. See docs/storage.md.
/// </summary>
public sealed partial class RepositoryCatalog
{
    private const int MaxLineageDepth = 16;

    private readonly Dictionary<string, RepositoryCatalog> _parents = new(StringComparer.Ordinal);
    private readonly List<string> _lineageProblems = [];

    /// <summary>Lineage that could not be followed (a loop, a missing parent): those timelines restore from their own backups only.</summary>
    public IReadOnlyList<string> LineageProblems => _lineageProblems;

    /// <summary>The catalogs of other prefixes this one's timelines were restored from, by prefix.</summary>
    public IReadOnlyDictionary<string, RepositoryCatalog> ParentCatalogs => _parents;

    public void AddTimelineRecord(TimelineRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Timeline(record.Id).Record = record;
    }

    public void AddParent(RepositoryCatalog parent)
    {
        ArgumentNullException.ThrowIfNull(parent);
        _parents[parent.Layout.Prefix] = parent;
    }

    /// <summary>The record of a timeline of this prefix or of a prefix its lineage reaches.</summary>
    public TimelineRecord? RecordOf(string prefix, uint timeline)
    {
        if (prefix == Layout.Prefix)
        {
            return _timelines.TryGetValue(timeline, out var found) ? found.Record : null;
        }

        return _parents.Values.Select(p => p.RecordOf(prefix, timeline)).FirstOrDefault(r => r is not null);
    }

    /// <summary>The timeline a database archives into: the lowest one it owns (as <see cref="RepositoryHistory"/> chooses), or null.</summary>
    public TimelineCatalog? OwnedBy(string databaseUid) =>
        _timelines.Values.Where(t => t.Record?.Owner == databaseUid).MinBy(t => t.Timeline);

    /// <summary>
    /// Plans a restore to <paramref name="target"/>. With no timeline given, the newest timeline whose lineage can
    /// reach the target wins (a target after a branch point restores the branch, one before it the history it came
    /// from); if none can, the refusal is the newest timeline's. A time at or after a branch point falls on the
    /// branch even when the branch cannot reach it: older timelines are not searched past it.
    /// </summary>
    public RestorePlanResult PlanRestore(RecoveryTarget target, DateTimeOffset now, uint? timeline = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (timeline is { } only && !_timelines.ContainsKey(only))
        {
            return RestorePlanResult.Refused(new PlanRefusal(RefusalReason.NoBackup, $"'{Layout.Prefix}' has no timeline {only}."));
        }

        if (target.Kind is RecoveryTargetKind.Latest or RecoveryTargetKind.Immediate)
        {
            if (Resolve(target, timeline) is not { } resolved)
            {
                return RestorePlanResult.Refused(new PlanRefusal(RefusalReason.NoBackup, $"Cannot restore to {target}: '{Layout.Prefix}' has no successful full backup."));
            }

            (target, timeline) = resolved;
        }

        return WithSourceOwner(PlanAcross(target, now, timeline));
    }

    private RestorePlanResult WithSourceOwner(RestorePlanResult result) =>
        result.Plan is { Segments: [.., var last] } plan ? RestorePlanResult.Of(plan with { SourceOwner = RecordOf(last.Prefix, last.Timeline)?.Owner }) : result;

    /// <summary>
    /// <c>latest</c> and <c>immediate</c> as exact <c>ts</c> targets on the timeline they were read from (a <c>ts</c>
    /// names an entry of one replica set): the end of the newest timeline's last window (a restored database's timeline
    /// has one before its own first backup), or its newest backup's consistent point. Null when nothing can be restored.
    /// </summary>
    private (RecoveryTarget Target, uint Timeline)? Resolve(RecoveryTarget target, uint? timeline)
    {
        if (target.Kind == RecoveryTargetKind.Immediate)
        {
            var withBackups = Timelines.Where(t => (timeline is null || t.Timeline == timeline) && t.SucceededBackups.Count > 0).MaxBy(t => t.Timeline);
            return withBackups is null ? null : (RecoveryTarget.AtTs(withBackups.SucceededBackups.MaxBy(b => b.ConsistentAt)!.ConsistentAt), withBackups.Timeline);
        }

        var latest = Timelines
            .Where(t => timeline is null || t.Timeline == timeline)
            .Select(t => (t.Timeline, Windows: WindowsOf(t.Timeline)))
            .Where(t => t.Windows.Count > 0)
            .MaxBy(t => t.Timeline);
        return latest.Windows is { Count: > 0 } windows ? (RecoveryTarget.AtTs(windows[^1].ToTs, target.Exclusive), latest.Timeline) : null;
    }

    private RestorePlanResult PlanAcross(RecoveryTarget target, DateTimeOffset now, uint? timeline)
    {
        if (timeline is { } id)
        {
            return PlanOn(id, target, now, 0);
        }

        RestorePlanResult? newest = null;
        foreach (var candidate in _timelines.Keys.Reverse())
        {
            var result = PlanOn(candidate, target, now, 0);
            if (result.IsPossible)
            {
                return result;
            }

            newest ??= result;

            // What the history it branched from holds after the branch point is not this timeline's history (the
            // database that wrote it was replaced): answering with it would change databases without saying so.
            if (target.Kind == RecoveryTargetKind.Time && _timelines[candidate].Record is { } record && Parent(record) is not null && BeforeBranch(record, target) is null)
            {
                break;
            }
        }

        return newest ?? RestorePlanResult.Refused(new PlanRefusal(RefusalReason.NoBackup, $"'{Layout.Prefix}' holds no backups."));
    }

    /// <summary>
    /// One timeline's recoverable windows: its own backups' windows and, for a timeline branched by a restore whose
    /// oplog is archived from where the restore ended, the span from the branch point on (restored from the parent's
    /// backup, replayed across the branch). Merged where they touch.
    /// </summary>
    public IReadOnlyList<RecoverableWindow> WindowsOf(uint timeline)
    {
        if (!_timelines.TryGetValue(timeline, out var catalog))
        {
            return [];
        }

        var own = catalog.MergedWindows();
        return Inherited(catalog, 0) is { } inherited ? Merge([inherited, .. own]) : own;
    }

    /// <summary>
    /// Everything a database on <paramref name="timeline"/> can be restored to: that timeline's windows, and its
    /// ancestors' up to each branch point (the same history), merged where they touch. What its status shows.
    /// </summary>
    public IReadOnlyList<RecoverableWindow> LineageWindows(uint timeline) => _timelines.ContainsKey(timeline) ? Merge(Lineage(timeline, long.MaxValue, null, 0)) : [];

    /// <summary>
    /// Where a branched timeline's own oplog does not start at its branch: the restored database wrote before its
    /// archiving began and the oplog no longer held it. Null when the branch is continuous or the timeline is no branch.
    /// </summary>
    public OplogGap? BranchGap(uint timeline)
    {
        if (!_timelines.TryGetValue(timeline, out var catalog) || catalog.Record is not { Parent: not null, ArchiveAfter: { } after } record
            || catalog.Components.Count != 1)
        {
            return null;
        }

        var history = catalog.Components.Values.First();
        if (history.Runs.Count == 0 || history.FindRunCovering(after) >= 0)
        {
            return null;
        }

        var first = history.Runs[0];
        return new OplogGap(history.Component, timeline, after, record.BranchedAtWallUnixMs, first.From, first.FromWallUnixMs);
    }

    private IEnumerable<RecoverableWindow> Lineage(uint timeline, long untilWallUnixMs, OplogTimestamp? untilTs, int depth)
    {
        foreach (var window in WindowsOf(timeline))
        {
            if (window.FromWallUnixMs <= untilWallUnixMs)
            {
                // Cut at a branch: the branch ends it, not what ended it before.
                yield return window.ToWallUnixMs <= untilWallUnixMs ? window : window with { ToWallUnixMs = untilWallUnixMs, ToTs = untilTs ?? window.ToTs, LimitedBy = null, JoinedBy = null };
            }
        }

        if (_timelines[timeline].Record is { } record && Parent(record) is { } parent && depth < MaxLineageDepth)
        {
            foreach (var window in parent.Catalog.Lineage(parent.Timeline, Math.Min(untilWallUnixMs, record.BranchedAtWallUnixMs), record.BranchedAfter, depth + 1))
            {
                yield return window;
            }
        }
    }

    private RestorePlanResult PlanOn(uint id, RecoveryTarget target, DateTimeOffset now, int depth)
    {
        var timeline = _timelines[id];
        var record = timeline.Record;
        var parent = record is null || depth >= MaxLineageDepth ? null : Parent(record);
        if (parent is { } p && BeforeBranch(record!, target) is { } parentSide)
        {
            // Before the branch point this timeline's history is its parent's.
            return parentSide ? p.Catalog.PlanOn(p.Timeline, target, now, depth + 1) : Refuse(
                RefusalReason.InsideGap,
                $"The target {target} is on neither side of timeline {id}'s branch: its own oplog starts after {record!.ArchiveAfter}, and the history it was restored from ends at {record.BranchedAfter}.");
        }

        var own = timeline.Plan(target, now);
        if (own.IsPossible || parent is not { } from || record!.ArchiveAfter is not { } after || own.Refusal!.Reason == RefusalReason.InFuture)
        {
            return own;
        }

        // Its own backups do not reach the target: restore the parent up to the branch point, then this timeline's oplog.
        if (timeline.Components.Count != 1)
        {
            return timeline.Components.Count == 0
                ? Refuse(RefusalReason.AfterLastArchivedEntry, $"Timeline {id} was restored to {Branch(record)} and has archived nothing since; the latest recoverable time is its branch point.", latest: Branch(record))
                : own;
        }

        var history = timeline.Components.Values.First();
        var runIndex = history.FindRunCovering(after);
        if (runIndex < 0)
        {
            return Refuse(
                RefusalReason.InsideGap,
                $"Timeline {id} was restored from timeline {record.Parent} at {Branch(record):O}, but its own oplog is not archived from where that restore ended ({after}): only its own full backups can be restored from. {own.Refusal.Message}",
                earliest: own.Refusal.EarliestRecoverable,
                latest: own.Refusal.LatestRecoverable);
        }

        var run = history.Runs[runIndex];
        if (target.LastTs is { } ts ? ts > run.End : target.LastWallUnixMs!.Value > run.EndWallUnixMs)
        {
            var end = DateTimeOffset.FromUnixTimeMilliseconds(run.EndWallUnixMs);
            if (runIndex == history.Runs.Count - 1)
            {
                return Refuse(RefusalReason.AfterLastArchivedEntry, $"The target {target} is after the last archived oplog entry of timeline {id} ({end:O}).", latest: end);
            }

            // More of the branch's oplog follows a gap: a refusal from its own backups already names that gap; else the
            // target is before its first own backup (or it has none), inside the gap that ends the run from the branch.
            return own.Refusal.Reason is RefusalReason.InsideGap or RefusalReason.AfterLastArchivedEntry ? own : Refuse(
                RefusalReason.InsideGap,
                $"The target {target} falls in a gap of the archived oplog of timeline {id}: restored across its branch point it is recoverable only up to {end:O}, and " +
                (own.Refusal.EarliestRecoverable is { } next ? $"the next recoverable time is {next:O}." : "no backup of its own follows the gap: take a new full backup."),
                gapStart: end,
                gapEnd: own.Refusal.EarliestRecoverable);
        }

        var upstream = from.Catalog.PlanOn(from.Timeline, RecoveryTarget.AtTs(record.BranchedAfter), now, depth + 1);
        if (upstream.Plan is not { } before)
        {
            return Refuse(
                upstream.Refusal!.Reason,
                $"Timeline {id} continues timeline {record.Parent}{(record.ParentPrefix is null ? "" : $" of '{record.ParentPrefix}'")} after {record.BranchedAfter}, which can no longer be restored ({upstream.Refusal.Message}); only its own full backups can be restored from.",
                earliest: own.Refusal.EarliestRecoverable);
        }

        var chunks = new List<Oplog.ChunkDescriptor>();
        var targetWall = target.LastWallUnixMs ?? long.MaxValue;
        var targetTs = target.LastTs ?? OplogTimestamp.FromValue(ulong.MaxValue);
        var bytes = before.BytesToRead;
        for (var i = history.FirstChainIndexAfter(after, run); i < run.ChainEnd; i++)
        {
            var chunk = history.ChainChunk(i);
            if (chunk.First > targetTs || chunk.FirstWallUnixMs > targetWall)
            {
                break;
            }

            chunks.Add(new Oplog.ChunkDescriptor(Layout.ChunkKey(history.Component, id, chunk), history.Component, id, chunk));
            bytes += chunk.SizeBytes;
        }

        var upTo = before.Segments[^1] with { Until = record.BranchedAfter };
        ReplaySegment[] segments = [.. before.Segments.Take(before.Segments.Count - 1), upTo, new ReplaySegment(Layout.Prefix, id, history.Component, after, null, chunks)];
        return RestorePlanResult.Of(before with
        {
            Target = target,
            Timeline = id,
            BytesToRead = bytes,
            // One entry per segment, so whoever reads the components sees every chunk the plan replays, never a part.
            Components = [.. segments.Select(s => new PlannedComponent(s.Component, s.Chunks))],
            Segments = segments,
        });
    }

    /// <summary>
    /// What a branched timeline's window across its branch point rests on: the backup its plans start from (stored under
    /// <c>Prefix</c>) and its own run of oplog from where its restore ended. Null when it inherits no window. Retention
    /// keeps both together.
    /// </summary>
    internal (string Prefix, BackupManifest Backup, OplogRun Run)? Inheritance(uint timeline) =>
        _timelines.TryGetValue(timeline, out var catalog) ? Inheritance(catalog, 0) : null;

    private (string Prefix, BackupManifest Backup, OplogRun Run)? Inheritance(TimelineCatalog timeline, int depth)
    {
        if (timeline.Record is not { ArchiveAfter: { } after } record || depth >= MaxLineageDepth || Parent(record) is not { } parent
            || timeline.Components.Count != 1)
        {
            return null;
        }

        var history = timeline.Components.Values.First();
        var runIndex = history.FindRunCovering(after);
        if (runIndex < 0)
        {
            return null;
        }

        var upstream = parent.Catalog.PlanOn(parent.Timeline, RecoveryTarget.AtTs(record.BranchedAfter), DateTimeOffset.MaxValue, depth + 1);
        return upstream.Plan is { } plan ? (plan.BasePrefix, plan.BaseBackup, history.Runs[runIndex]) : null;
    }

    /// <summary>
    /// The window a timeline branched by a restore has from its branch point on, before any backup of its own: restored
    /// from its parent's backup and replayed across the branch into its own oplog. Null for a timeline that is no
    /// branch, or whose own oplog does not continue from where the restore ended.
    /// </summary>
    public RecoverableWindow? InheritedWindow(uint timeline) => _timelines.TryGetValue(timeline, out var catalog) ? Inherited(catalog, 0) : null;

    private RecoverableWindow? Inherited(TimelineCatalog timeline, int depth)
    {
        if (Inheritance(timeline, depth) is not { } inherited)
        {
            return null;
        }

        var (record, run) = (timeline.Record!, inherited.Run);
        return new RecoverableWindow(timeline.Timeline, inherited.Backup.Id, record.ArchiveAfter!.Value, record.BranchedAtWallUnixMs, run.End, Math.Max(run.EndWallUnixMs, record.BranchedAtWallUnixMs));
    }

    /// <summary>The timeline a record branched from, when this catalog (or a loaded parent prefix) holds it as recorded.</summary>
    private (RepositoryCatalog Catalog, uint Timeline)? Parent(TimelineRecord record)
    {
        if (record.Parent is not { } id)
        {
            return null;
        }

        var catalog = record.ParentPrefix is null ? this : _parents.GetValueOrDefault(record.ParentPrefix);
        if (catalog is null || !catalog._timelines.TryGetValue(id, out var parent))
        {
            return null;
        }

        // A parent whose record now names another owner is not the history this timeline was restored from.
        return record.ParentOwner is { } owner && parent.Record is { } found && found.Owner != owner ? null : (catalog, id);
    }

    /// <summary>True before the branch (the parent's side), false where neither side holds it, null at or after the branch.</summary>
    private static bool? BeforeBranch(TimelineRecord record, RecoveryTarget target)
    {
        if (target.LastWallUnixMs is { } time)
        {
            return time < record.BranchedAtWallUnixMs ? true : null;
        }

        // A ts names an entry of one replica set: this timeline's own from its start (ArchiveAfter itself is the state the
        // restore left, where its windows begin), else the parent's up to the branch.
        var ts = target.LastTs!.Value;
        if (record.ArchiveAfter is not { } after || ts >= after)
        {
            return null;
        }

        return ts <= record.BranchedAfter;
    }

    private static DateTimeOffset Branch(TimelineRecord record) => DateTimeOffset.FromUnixTimeMilliseconds(record.BranchedAtWallUnixMs);

    /// <summary>Windows by wall time, merged where they touch or overlap; a merged window keeps the later one's timeline.</summary>
    private static List<RecoverableWindow> Merge(IEnumerable<RecoverableWindow> windows)
    {
        var merged = new List<RecoverableWindow>();
        foreach (var window in windows.OrderBy(w => w.FromWallUnixMs).ThenBy(w => w.ToWallUnixMs))
        {
            if (merged.Count > 0 && window.FromWallUnixMs <= merged[^1].ToWallUnixMs)
            {
                if (window.ToWallUnixMs >= merged[^1].ToWallUnixMs)
                {
                    merged[^1] = window with { FromTs = merged[^1].Timeline == window.Timeline ? merged[^1].FromTs : window.FromTs, FromWallUnixMs = merged[^1].FromWallUnixMs, BackupId = merged[^1].BackupId };
                }
            }
            else
            {
                merged.Add(window);
            }
        }

        return merged;
    }

    private static RestorePlanResult Refuse(
        RefusalReason reason, string message, DateTimeOffset? earliest = null, DateTimeOffset? latest = null, DateTimeOffset? gapStart = null, DateTimeOffset? gapEnd = null) =>
        RestorePlanResult.Refused(new PlanRefusal(reason, message, earliest, latest, gapStart, gapEnd));
}
