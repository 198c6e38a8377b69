namespace Archiver.Mongo.Archiving;

/// <summary>What the archiver is doing now.</summary>
public enum ArchiverPhase
{
    /// <summary>Reading the resume point back from the repository.</summary>
    Starting,

    /// <summary>Tailing the primary and publishing chunks.</summary>
    Streaming,

    /// <summary>The source or the repository failed; waiting <c>RetryDelay</c> before trying again. Nothing is lost while the oplog still holds the entries.</summary>
    Retrying,

    /// <summary><c>RunAsync</c> returned. Entries not yet published are re-read on the next start.</summary>
    Stopped,
}
