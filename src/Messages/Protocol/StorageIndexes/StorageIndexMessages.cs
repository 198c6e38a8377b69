namespace Archiver.Messages.Protocol.StorageIndexes;

/// <summary>Addressed to the StorageIndex of one backup storage.</summary>
public interface IWithStorageId : IArchiverProtocolMember
{
    ResourceId StorageId { get; }
}

/// <summary>The recoverable windows and oplog gaps of the repository under <paramref name="Prefix"/>.</summary>
public sealed record GetRecoverableWindows(ResourceId StorageId, string Prefix) : IWithStorageId;

public sealed record RecoverableWindowsReply(string Prefix, IReadOnlyList<WindowInfo> Windows, IReadOnlyList<GapInfo> Gaps, string? Error) : IArchiverProtocolMember;

/// <summary>From a backup's consistent point to the end of the continuous oplog after it.</summary>
public sealed record WindowInfo(uint Timeline, string BackupId, DateTimeOffset From, DateTimeOffset To, string FromTs, string ToTs);

/// <summary>Where the oplog was not archived continuously: no point inside can be restored.</summary>
public sealed record GapInfo(string Component, uint Timeline, DateTimeOffset From, DateTimeOffset To);

/// <summary>Works out how to reach a target, without writing anything.</summary>
/// <param name="Time">A wall time (every entry at or before it is included), or null for <paramref name="Ts"/>.</param>
/// <param name="Ts">An exact oplog position, <c>seconds:increment</c>.</param>
public sealed record PlanRecovery(ResourceId StorageId, string Prefix, DateTimeOffset? Time, string? Ts) : IWithStorageId;

public sealed record RecoveryPlanReply(string Prefix, PlanInfo? Plan, RefusalInfo? Refusal, string? Error) : IArchiverProtocolMember;

public sealed record PlanInfo(uint Timeline, string BaseBackupId, string ReplayAfterTs, IReadOnlyList<string> Components, int Chunks, long BytesToRead);

/// <summary>Why a target cannot be reached, with the nearest recoverable times.</summary>
public sealed record RefusalInfo(string Reason, string Message, DateTimeOffset? EarliestRecoverable, DateTimeOffset? LatestRecoverable);

/// <summary>Something was published under the prefix (a chunk, a backup): read its listing again.</summary>
public sealed record RefreshCatalog(ResourceId StorageId, string Prefix) : IWithStorageId;

/// <summary>Applies a retention policy to one repository, or with <paramref name="DryRun"/> only lists what would go.</summary>
public sealed record ApplyRetention(ResourceId StorageId, string Prefix, int KeepLastSucceeded, int KeepLastFailed, TimeSpan? MaxRetentionPeriod, bool DryRun) : IWithStorageId;

public sealed record RetentionReply(string Prefix, IReadOnlyList<string> Deletes, int Deleted, string? Error) : IArchiverProtocolMember;
