namespace Archiver.Storage.Catalog;

/// <summary>A precise reason a target cannot be reached, with the nearest recoverable times to offer instead.</summary>
public sealed record PlanRefusal(
    RefusalReason Reason,
    string Message,
    DateTimeOffset? EarliestRecoverable = null,
    DateTimeOffset? LatestRecoverable = null,
    DateTimeOffset? GapStart = null,
    DateTimeOffset? GapEnd = null);
