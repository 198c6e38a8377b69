namespace Archiver.Storage.Retention;

/// <summary>Why retention keeps a backup; a dry run shows these next to each kept backup.</summary>
public enum RetentionReason
{
    LastSucceeded,
    LastFailed,
    YoungerThanRetentionPeriod,

    /// <summary>The newest backup before chunks that are kept: without it those chunks could not be replayed.</summary>
    StartsAKeptChain,
}
