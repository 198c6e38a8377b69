using Archiver.Messages.Configuration;
using Archiver.Messages.Manifests;
using Archiver.Messages.Resources;

namespace Archiver.Messages.Validation;

/// <summary>
/// The rules a typed resource must meet beyond its shape: cron schedules, durations, names, selectors,
/// references, and the fields that only make sense together. Every error is reported, each with its path.
/// </summary>
public static partial class ResourceValidator
{
    /// <param name="resource">The typed resource.</param>
    /// <param name="invalid">Paths the schema already refused (and left out): a rule that would read a default in
    /// their place is skipped, so one mistake gives one error.</param>
    public static IReadOnlyList<FieldError> Validate(Resource resource, IReadOnlySet<string>? invalid = null)
    {
        var checks = new FieldChecks(invalid ?? new HashSet<string>());
        checks.Name("metadata.name", resource.Metadata.Name);
        checks.Namespace("metadata.namespace", resource.Metadata.NamespaceProperty);
        foreach (var (key, _) in resource.Metadata.Labels ?? new Dictionary<string, string>())
        {
            if (KubernetesNames.CheckQualifiedName(key) is { } reason) checks.Add("metadata.labels", reason);
        }

        switch (resource)
        {
            case MongoDBArchiver archiver: Archiver(checks, archiver.Spec); break;
            case MongoDBOpsRequest ops: OpsRequest(checks, ops.Spec); break;
            case MongoDB db: Database(checks, db); break;
            case BackupConfiguration config: BackupConfiguration(checks, config.Spec); break;
            case Snapshot snapshot: Snapshot(checks, snapshot.Spec); break;
            case BackupStorage storage: Storage(checks, storage.Spec); StorageEndpoint(checks, storage); break;
            case RetentionPolicy policy: Retention(checks, policy.Spec); break;
        }

        return checks.Errors;
    }

    private static void Archiver(FieldChecks checks, MongoDBArchiverSpec? spec)
    {
        if (spec is null) return;
        checks.Namespaces("spec.databases.namespaces", spec.Databases?.Namespaces);
        checks.Selector("spec.databases.selector", spec.Databases?.Selector);
        checks.Ref("spec.retentionPolicy", spec.RetentionPolicy);
        checks.Ref("spec.encryptionSecret", spec.EncryptionSecret);
        FullBackup(checks, "spec.fullBackup", spec.FullBackup);
        if (spec.WalBackup is { } wal)
        {
            checks.Retention("spec.walBackup.retentionPeriod", wal.RetentionPeriod, allowHours: false);
            checks.Ref("spec.walBackup.configSecret", wal.ConfigSecret);
            RuntimeSettings(checks, "spec.walBackup.runtimeSettings", wal.RuntimeSettings);
            checks.AtLeast("spec.walBackup.successfulLogHistoryLimit", wal.SuccessfulLogHistoryLimit, 0);
            checks.AtLeast("spec.walBackup.failedLogHistoryLimit", wal.FailedLogHistoryLimit, 0);
            if (wal.Config is { } config)
            {
                ChunkSize(checks, "spec.walBackup.config.chunkMaxSize", config.ChunkMaxSize);
                checks.Duration("spec.walBackup.config.chunkMaxAge", config.ChunkMaxAge, positive: true);
                checks.Duration("spec.walBackup.config.idleFlushInterval", config.IdleFlushInterval, positive: true);
                checks.Duration("spec.walBackup.config.compactAfter", config.CompactAfter, positive: true);
                checks.Duration("spec.walBackup.config.lagThreshold", config.LagThreshold, positive: true);
                checks.Duration("spec.walBackup.config.headroomThreshold", config.HeadroomThreshold, positive: true);
            }
        }

        if (spec.BackupStorage is { } target)
        {
            checks.TypedRef("spec.backupStorage.ref", target.Ref, ApiGroups.KubeStashStorage, Resources.BackupStorage.KindName);
            if (target.Prefix is { } prefix)
            {
                foreach (var problem in PrefixTemplate.Check(prefix)) checks.Add("spec.backupStorage.prefix", problem);
            }

            checks.RelativePath("spec.backupStorage.subDir", target.SubDir);
        }
    }

    private static void ChunkSize(FieldChecks checks, string path, string? size)
    {
        if (size is null) return;
        if (!ByteQuantity.TryParse(size, out var bytes, out var reason))
        {
            checks.Add(path, reason);
        }
        else if (bytes is < 4096 or > 256L * 1024 * 1024)
        {
            checks.Add(path, $"must be between 4Ki and 256Mi, not \"{size}\"");
        }
    }

    private static void FullBackup(FieldChecks checks, string path, FullBackupOptions? full)
    {
        if (full is null) return;
        var driverKnown = !checks.IsInvalid($"{path}.driver");
        if (driverKnown && (full.Driver ?? FullBackupDriver.CSISnapshotter) == FullBackupDriver.CSISnapshotter && full.CsiSnapshotter is null)
        {
            checks.Add($"{path}.csiSnapshotter", "required when driver is CSISnapshotter (the default): name the volumeSnapshotClassName");
        }
        else if (full.Driver == FullBackupDriver.Logical && full.CsiSnapshotter is not null)
        {
            checks.Add($"{path}.csiSnapshotter", "is used only when driver is CSISnapshotter, and driver is Logical");
        }

        Scheduler(checks, $"{path}.scheduler", full.Scheduler);
        Retry(checks, path, full.FailurePolicy, full.RetryConfig);
        checks.Duration($"{path}.timeout", full.Timeout, positive: true);
        checks.AtLeast($"{path}.sessionHistoryLimit", full.SessionHistoryLimit, 0);
    }

    private static void Scheduler(FieldChecks checks, string path, SchedulerOptions? scheduler)
    {
        if (scheduler is null) return;
        checks.Cron($"{path}.schedule", scheduler.Schedule);
        checks.AtLeast($"{path}.successfulJobsHistoryLimit", scheduler.SuccessfulJobsHistoryLimit, 0);
        checks.AtLeast($"{path}.failedJobsHistoryLimit", scheduler.FailedJobsHistoryLimit, 0);
        if (scheduler.JobTemplate is { } job)
        {
            checks.AtLeast($"{path}.jobTemplate.parallelism", job.Parallelism, 1);
            checks.AtLeast($"{path}.jobTemplate.completions", job.Completions, 1);
            checks.AtLeast($"{path}.jobTemplate.backoffLimit", job.BackoffLimit, 0);
            if (job.PodTemplate?.ServiceAccountName is { } account) checks.Name($"{path}.jobTemplate.podTemplate.serviceAccountName", account);
        }
    }

    private static void Retry(FieldChecks checks, string path, FailurePolicy? policy, RetryConfig? retry)
    {
        if (retry is null) return;
        if (policy != FailurePolicy.Retry && !checks.IsInvalid($"{path}.failurePolicy"))
        {
            checks.Add($"{path}.retryConfig", $"is used only when failurePolicy is Retry, and failurePolicy is {policy ?? FailurePolicy.Fail}");
        }

        checks.AtLeast($"{path}.retryConfig.maxRetry", retry.MaxRetry, 0);
        checks.Duration($"{path}.retryConfig.delay", retry.Delay);
    }
}
