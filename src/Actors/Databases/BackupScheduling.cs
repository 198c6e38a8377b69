using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;
using Cronos;

namespace Archiver.Actors.Databases;

/// <summary>The scheduling rules of full backups, as pure functions over the database's state.</summary>
public static class BackupScheduling
{
    /// <summary>The schedule a configured database's archiver asks for, or null when the database is not archived.</summary>
    public static BackupScheduleSet? Wanted(ResourceId db, MongoDB? database, MongoDBArchiver? archiver, DateTimeOffset now)
    {
        if (database?.Spec?.Archiver?.Ref is null || archiver?.Spec?.FullBackup is not { } full || full.Scheduler is null) return null;
        if (database.Metadata.Annotations?.ContainsKey(ApiGroups.SpecHashAnnotation) != true) return null;
        var delay = full.RetryConfig?.Delay is { } d && GoDuration.TryParse(d, out var parsed, out _) ? parsed : TimeSpan.FromMinutes(1);
        return new BackupScheduleSet(db, ResourceId.Of(archiver), full.Scheduler.Schedule, full.Scheduler.ConcurrencyPolicy ?? ConcurrencyPolicy.Forbid,
            full.FailurePolicy ?? FailurePolicy.Fail, full.RetryConfig?.MaxRetry ?? 0, delay,
            archiver.Spec.Pause == true || database.Spec.Archiver.Pause == true, now);
    }

    public static bool SameSchedule(BackupSchedule? current, BackupScheduleSet? wanted) =>
        (current, wanted) switch
        {
            (null, null) => true,
            ({ } c, { } w) => c == new BackupSchedule(w.ArchiverId, w.Schedule, w.ConcurrencyPolicy, w.FailurePolicy, w.MaxRetry, w.RetryDelay, w.Paused),
            _ => false,
        };

    /// <summary>The next cron time strictly after <paramref name="after"/>, in UTC (Kubernetes CronJobs' default zone).</summary>
    public static DateTimeOffset? Next(BackupSchedule schedule, DateTimeOffset after) =>
        CronSchedule.TryParse(schedule.Cron, out var cron, out _) ? cron!.GetNextOccurrence(after, TimeZoneInfo.Utc) : null;

    /// <summary>Whether a failed attempt gets another: with Retry, <c>maxRetry</c> retries after the first attempt.</summary>
    public static bool Retries(BackupSchedule? schedule, int attempt) =>
        schedule is { FailurePolicy: FailurePolicy.Retry } && attempt <= schedule.MaxRetry;

    public static CronExpression? Parse(string cron) => CronSchedule.TryParse(cron, out var expression, out _) ? expression : null;
}
