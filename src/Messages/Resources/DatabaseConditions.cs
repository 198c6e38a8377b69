namespace Archiver.Messages.Resources;

/// <summary>
/// The conditions Archiver writes on a MongoDB's <c>status.archiver</c> (and on its incremental Snapshot): their types,
/// reasons and builders, in one place the entities, the CLI and the status page share, so a condition is named the
/// same wherever it is written or read. Reasons and messages follow the Kubernetes API conventions
/// (https://github.com/kubernetes/community/blob/master/contributors/devel/sig-architecture/api-conventions.md#typical-status-properties):
/// a CamelCase reason, a one-line message that says the cause.
/// </summary>
public static class DatabaseConditions
{
    /// <summary>Whether the oplog is archived and within its limits (lag, headroom); the archiver's refusal when it is blocked.</summary>
    public const string ArchivingType = "Archiving";

    /// <summary>A database configured by its own entity at creation (no ops request says it).</summary>
    public const string ConfiguredType = "Configured";

    /// <summary>The point-in-time restore of a database created with <c>spec.init.archiver</c>.</summary>
    public const string RestoredType = "Restored";

    /// <summary>KubeStash's <c>TypeBackupVerified</c>, on the incremental Snapshot: the scheduled scrub's result.</summary>
    public const string BackupVerifiedType = "BackupVerified";

    public const string ConfiguredAtCreationReason = "ConfiguredAtCreation";
    public const string ConfigurationFailedReason = "ConfigurationFailed";
    public const string WaitingReason = "Waiting";
    public const string RetryingReason = "Retrying";
    public const string WaitingForTargetReason = "WaitingForTarget";
    public const string VerifiedReason = "SuccessfullyVerifiedBackup";
    public const string VerificationFailedReason = "FailedToVerifyBackup";

    public static Condition Configured(ConditionStatus status, string reason, string message, DateTimeOffset at) =>
        Of(ConfiguredType, status, reason, message, at);

    /// <summary>Unknown while it runs (or waits for its target), True once restored, False once failed.</summary>
    public static Condition Restored(ConditionStatus status, string reason, string message, DateTimeOffset at) =>
        Of(RestoredType, status, reason, message, at);

    public static Condition BackupVerified(bool verified, string message, DateTimeOffset at) =>
        Of(BackupVerifiedType, verified ? ConditionStatus.True : ConditionStatus.False, verified ? VerifiedReason : VerificationFailedReason, message, at);

    public static Condition Of(string type, ConditionStatus status, string reason, string message, DateTimeOffset at) =>
        new() { Type = type, Status = status, Reason = reason, Message = message, LastTransitionTime = at };

    /// <summary><paramref name="conditions"/> with <paramref name="condition"/> in place of the one of its type.</summary>
    public static IReadOnlyList<Condition> With(IReadOnlyList<Condition>? conditions, Condition condition) =>
        [.. (conditions ?? []).Where(c => c.Type != condition.Type), condition];
}
