using Archiver.Storage;
using Archiver.Storage.Catalog;

namespace Archiver.Mongo.Restore;

public sealed partial class RestoreExecutor
{
    /// <summary>
    /// <c>latest</c> and <c>immediate</c> become exact <c>ts</c> targets, read from the catalog, on the timeline they
    /// were read from (a <c>ts</c> names an entry of one replica set).
    /// </summary>
    private (RestoreTarget Target, uint? Timeline) Resolve(RepositoryCatalog catalog, RestoreTarget to)
    {
        if (to.Kind is RestoreTargetKind.Time or RestoreTargetKind.Ts)
        {
            return (to, _options.Timeline);
        }

        if (to.Kind == RestoreTargetKind.Immediate)
        {
            if (to.Exclusive)
            {
                throw new RestoreRefusedException("'immediate' is a backup's consistent point: the data is not consistent just before it, so it cannot be exclusive.");
            }

            var withBackups = catalog.Timelines
                .Where(t => (_options.Timeline is null || t.Timeline == _options.Timeline) && t.SucceededBackups.Count > 0)
                .MaxBy(t => t.Timeline) ?? throw NoBackup(to);
            return (RestoreTarget.AtTs(withBackups.SucceededBackups.MaxBy(b => b.ConsistentAt)!.ConsistentAt), withBackups.Timeline);
        }

        // The newest timeline that has a window: a restored database's timeline has one before its own first backup.
        var latest = catalog.Timelines
            .Where(t => _options.Timeline is null || t.Timeline == _options.Timeline)
            .Select(t => (t.Timeline, Windows: catalog.WindowsOf(t.Timeline)))
            .Where(t => t.Windows.Count > 0)
            .MaxBy(t => t.Timeline);
        return latest.Windows is { Count: > 0 } windows ? (RestoreTarget.AtTs(windows[^1].ToTs, to.Exclusive), latest.Timeline) : throw NoBackup(to);
    }

    private static RestoreRefusedException NoBackup(RestoreTarget to) =>
        new($"Cannot restore to {to}: the repository has no successful full backup.")
        {
            Refusal = new PlanRefusal(RefusalReason.NoBackup, "The repository has no successful full backup."),
        };

    /// <summary>The catalog plans in milliseconds and inclusively: the newest millisecond (or ts) the target includes.</summary>
    private static RecoveryTarget ToCatalogTarget(RestoreTarget target) => target.Kind == RestoreTargetKind.Time
        ? RecoveryTarget.AtTime(DateTimeOffset.FromUnixTimeMilliseconds(CatalogTimeMs(target)))
        : RecoveryTarget.AtTs(target.Exclusive && !target.Ts!.Value.IsZero ? OplogTimestamp.FromValue(target.Ts.Value.Value - 1) : target.Ts!.Value);

    /// <summary>The newest wall millisecond a time target includes: an entry's <c>wall</c> counts as <c>wall.000</c>.</summary>
    private static long CatalogTimeMs(RestoreTarget target)
    {
        var micros = target.TimeUnixMicroseconds!.Value - (target.Exclusive ? 1 : 0);
        return Math.DivRem(micros, 1000, out var rest) - (rest < 0 ? 1 : 0);
    }
}
