using System.Diagnostics.Metrics;
using Akka.Actor;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;

namespace Archiver.Actors.Metrics;

/// <summary>
/// The node's instruments, on the host's <see cref="Meter"/> (System.Diagnostics.Metrics is in the BCL: this library
/// takes no metrics package; the host exports them as Prometheus text on /metrics). Every one is observed at scrape
/// time from <see cref="NodeMetrics"/> and the cluster's state, so a scrape costs no message into the cluster.
/// Labels are bounded by what the node hosts: a database is <c>namespace</c> and <c>database</c>, and the only other
/// labels are closed sets (phase, outcome, kind, member status); never a chunk, a run or a request. Each instrument's
/// Prometheus name (units become suffixes: <c>s</c> → <c>_seconds</c>, <c>By</c> → <c>_bytes</c>, counters get
/// <c>_total</c>) and meaning is in docs/metrics.md.
/// </summary>
public static class NodeInstruments
{
    /// <summary>Registers the instruments; <paramref name="system"/> gives the node's actor system once it runs (null before).</summary>
    public static void Register(Meter meter, Func<ActorSystem?> system)
    {
        IReadOnlyList<(ResourceId Database, DatabaseMetrics Values)> Databases() => system() is { } s ? NodeMetrics.For(s).Databases() : [];

        void Gauge(string name, string unit, string description, Func<DatabaseMetrics, double?> value) =>
            meter.CreateObservableGauge(name, () => Databases().Select(d => (d.Database, Value: value(d.Values))).Where(d => d.Value is not null)
                .Select(d => new Measurement<double>(d.Value!.Value, Labels(d.Database))), unit, description);

        meter.CreateObservableGauge("archiver.database.phase", () => Databases().SelectMany(d => Enum.GetValues<DatabaseArchiverPhase>()
                .Select(p => new Measurement<int>(d.Values.Status.Phase == p ? 1 : 0, Labels(d.Database, ("phase", p.ToString()))))),
            description: "1 for the database's archiving phase (status.archiver.phase), 0 for every other phase.");
        Gauge("archiver.database.lag", "s", "status.archiver.lag: newest majority-committed write minus newest archived entry.", m => Seconds(m.Status.Lag));
        Gauge("archiver.database.lag_threshold", "s", "The archiver's walBackup lagThreshold (default 30 s): the recovery point objective.", m => m.LagThreshold?.TotalSeconds);
        Gauge("archiver.database.oplog_headroom", "s", "status.archiver.oplogHeadroom: how long until the oldest unarchived entry rolls off the oplog.", m => Seconds(m.Status.OplogHeadroom));
        Gauge("archiver.database.oplog_headroom_threshold", "s", "The archiver's walBackup headroomThreshold (default 1 h).", m => m.HeadroomThreshold?.TotalSeconds);
        Gauge("archiver.database.last_archived.timestamp", "s", "Wall time of the newest archived oplog entry (Unix seconds), from the archiver's last report.", m => Unix(m.LastArchived));
        Gauge("archiver.database.full_backup.last_success.timestamp", "s", "status.archiver.lastFullBackup: when the last successful full backup finished (Unix seconds).", m => Unix(m.Status.LastFullBackup));
        Gauge("archiver.database.full_backup.last.duration", "s", "How long the last successful full backup took.", m => m.LastBackupDuration?.TotalSeconds);
        Gauge("archiver.database.full_backup.last.size", "By", "Bytes the last successful full backup stored (logical backups this node's entity saw finish).", m => m.LastBackupBytes);
        Gauge("archiver.database.full_backup.schedule_interval", "s", "Time between the full-backup schedule's next two cron times.", m => m.ScheduleInterval?.TotalSeconds);
        meter.CreateObservableCounter("archiver.database.full_backups", () => Databases().SelectMany(d => new[]
            {
                new Measurement<long>(d.Values.BackupsSucceeded, Labels(d.Database, ("outcome", "succeeded"))),
                new Measurement<long>(d.Values.BackupsFailed, Labels(d.Database, ("outcome", "failed"))),
            }), "{backup}", "Full backup attempts that ended, by outcome, since the database's entity started on this node.");
        meter.CreateObservableCounter("archiver.database.oplog_compaction.objects", () => Databases().SelectMany(d => new[]
            {
                new Measurement<long>(d.Values.CompactionWritten, Labels(d.Database, ("action", "written"))),
                new Measurement<long>(d.Values.CompactionRemoved, Labels(d.Database, ("action", "removed"))),
            }), "{object}", "Oplog compaction: merged objects written and chunks removed (action), since the database's entity started on this node.");
        Gauge("archiver.database.oplog_compaction.last_success.timestamp", "s", "When the last oplog compaction run that did not fail ended (Unix seconds).", m => Unix(m.LastCompaction));
        Gauge("archiver.database.recoverable.start.timestamp", "s", "Start of the oldest recoverable window (Unix seconds).", m => Unix(m.Status.RecoverableWindows?.FirstOrDefault()?.Start));
        Gauge("archiver.database.recoverable.end.timestamp", "s", "End of the newest recoverable window: the latest restorable moment (Unix seconds).", m => Unix(m.Status.RecoverableWindows?.LastOrDefault()?.End));
        Gauge("archiver.database.recoverable_window.span", "s", "Length of the newest recoverable window: how far back from its end any moment can be restored.", m => Span(m.Status.RecoverableWindows));
        meter.CreateObservableGauge("archiver.database.recoverable_windows", () => Databases().Where(d => d.Values.Status.RecoverableWindows is not null)
            .Select(d => new Measurement<int>(d.Values.Status.RecoverableWindows!.Count, Labels(d.Database))), "{window}", "Recoverable windows (gaps split them).");
        Gauge("archiver.database.restore.loaded", "By", "A restore's bytes of its base backup loaded so far.", m => m.Status.Restore?.BytesDone);
        Gauge("archiver.database.restore.to_load", "By", "A restore's bytes of its base backup in all.", m => m.Status.Restore?.BytesTotal);
        Gauge("archiver.database.restore.replayed", "{entry}", "A restore's oplog entries replayed so far.", m => m.Status.Restore?.EntriesDone);
        Gauge("archiver.database.restore.to_replay", "{entry}", "A restore's oplog entries to replay in all.", m => m.Status.Restore?.EntriesTotal);
        Gauge("archiver.database.restore.progress_ratio", "1", "A restore's progress, 0 to 1: half for the base loaded, half for the oplog replayed.", m => m.Status.Restore is null ? null : m.Status.Phase == DatabaseArchiverPhase.Restored ? 1 : Progress(m.Status.Restore));
        Gauge("archiver.database.restore.load_rate", "By/s", "A restore's bytes loaded per second, on average over its run (since this node took it up); kept once it has finished.", m => m.RestoreBytesPerSecond);
        Gauge("archiver.database.restore.replay_rate", "{entry}/s", "A restore's oplog entries replayed per second, on average over its run (since this node took it up); kept once it has finished.", m => m.RestoreEntriesPerSecond);

        // What archiving costs (status.archiver.storage): per component, the objects and bytes of its oplog and of its full
        // backups' files; kind is oplog or full_backup.
        meter.CreateObservableGauge("archiver.database.storage.objects", () => Databases().SelectMany(d => (d.Values.Status.Storage ?? []).SelectMany(s => new[]
            {
                new Measurement<long>(s.OplogObjects ?? 0, Labels(d.Database, ("component", s.Component ?? ""), ("kind", "oplog"))),
                new Measurement<long>(s.BackupObjects ?? 0, Labels(d.Database, ("component", s.Component ?? ""), ("kind", "full_backup"))),
            })), "{object}", "status.archiver.storage: objects the database's own history holds in the storage, per component and kind (oplog, full_backup).");
        meter.CreateObservableGauge("archiver.database.storage.size", () => Databases().SelectMany(d => (d.Values.Status.Storage ?? []).SelectMany(s => new[]
            {
                new Measurement<long>(s.OplogBytes ?? 0, Labels(d.Database, ("component", s.Component ?? ""), ("kind", "oplog"))),
                new Measurement<long>(s.BackupBytes ?? 0, Labels(d.Database, ("component", s.Component ?? ""), ("kind", "full_backup"))),
            })), "By", "status.archiver.storage: bytes the database's own history holds in the storage, per component and kind.");

        meter.CreateObservableGauge("archiver.node.entities", () => system() is { } s
            ? NodeMetrics.For(s).Entities().Select(e => new Measurement<int>(e.Value, new KeyValuePair<string, object?>("kind", e.Key)))
            : [], "{entity}", "Entities running on this node, by kind (archiver, database, opsrequest).");
        // Every phase, none too: a phase emptied reads 0 rather than vanishing.
        meter.CreateObservableGauge("archiver.node.opsrequests", () => system() is { } s && NodeMetrics.For(s).OpsRequestsByPhase() is var phases
            ? Enum.GetValues<OpsRequestPhase>().Select(p => new Measurement<int>(phases.GetValueOrDefault(p.ToString()), new KeyValuePair<string, object?>("phase", p.ToString())))
            : [], "{request}", "Ops request entities running on this node, by their phase.");
        meter.CreateObservableGauge("archiver.cluster.members", () => system() is { } s ? Members(s) : [], "{member}",
            "Cluster members as this node sees them, by status; unreachable=\"true\" for those its failure detector marks unreachable.");
    }

    private static IEnumerable<Measurement<int>> Members(ActorSystem system)
    {
        var state = Akka.Cluster.Cluster.Get(system).State;
        var unreachable = state.Unreachable.Select(m => m.UniqueAddress).ToHashSet();
        return state.Members.GroupBy(m => (m.Status, Unreachable: unreachable.Contains(m.UniqueAddress)))
            .Select(g => new Measurement<int>(g.Count(), new("status", g.Key.Status.ToString()), new("unreachable", g.Key.Unreachable ? "true" : "false")));
    }

    private static KeyValuePair<string, object?>[] Labels(ResourceId database, params (string Key, string Value)[] more) =>
        [new("namespace", database.Namespace), new("database", database.Name), .. more.Select(m => new KeyValuePair<string, object?>(m.Key, m.Value))];

    private static double? Seconds(string? goDuration) => goDuration is not null && GoDuration.TryParse(goDuration, out var value, out _) ? value.TotalSeconds : null;

    private static double? Unix(DateTimeOffset? at) => at?.ToUnixTimeMilliseconds() / 1000.0;

    private static double? Span(IReadOnlyList<RecoverableWindow>? windows) =>
        windows is [.., { Start: { } start, End: { } end }] ? (end - start).TotalSeconds : null;

    private static double? Progress(RestoreProgress? restore)
    {
        if (restore is null) return null;
        static double Part(long? done, long? total) => total is > 0 ? Math.Clamp((double)(done ?? 0) / total.Value, 0, 1) : done is null && total is null ? 0 : 1;
        return (Part(restore.BytesDone, restore.BytesTotal) + Part(restore.EntriesDone, restore.EntriesTotal)) / 2;
    }
}
