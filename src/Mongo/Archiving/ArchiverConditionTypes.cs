namespace Archiver.Mongo.Archiving;

/// <summary>The condition types an archiver raises; each is present while true and dropped when it clears.</summary>
public static class ArchiverConditionTypes
{
    /// <summary>The resume point had rolled off the oplog: entries were lost and a new continuous run began. Needs a new full backup. Stays raised until the archiver restarts.</summary>
    public const string OplogGap = "OplogGap";

    /// <summary>Publishing a chunk failed; it is retried, and the oplog keeps the entries meanwhile.</summary>
    public const string StorageUnavailable = "StorageUnavailable";

    /// <summary>The replica set could not be read (no primary, network, failover in progress).</summary>
    public const string SourceUnavailable = "SourceUnavailable";

    /// <summary>The oldest unarchived entry would roll off within <c>HeadroomAlarm</c>: an RPO alarm before data is lost.</summary>
    public const string HeadroomLow = "HeadroomLow";
}
