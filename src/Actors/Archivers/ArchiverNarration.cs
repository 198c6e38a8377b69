using Archiver.Actors.Ports;
using Archiver.Messages.Protocol.Archivers;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Archivers;

/// <summary>
/// The Events an archiver shows in <c>kubectl describe</c>: the ops requests it issues and how they end, databases it
/// lets go, pausing and resuming, and what its <c>deletionPolicy</c> did; a pure function of the persisted event and
/// the state before it.
/// </summary>
public static class ArchiverNarration
{
    public const string OpsRequestCreatedReason = "OpsRequestCreated";
    public const string OpsRequestFailedReason = "OpsRequestFailed";
    public const string DatabaseReleasedReason = "DatabaseReleased";
    public const string PausedReason = "Paused";
    public const string ResumedReason = "Resumed";
    public const string DeletingReason = "Deleting";
    public const string DeletedReason = "Deleted";

    public static EventDraft? Of(IArchiverEvent e, ArchiverState before, EventSubject subject) => e switch
    {
        ArchiverSpecObserved s when s.Paused && !before.Paused && before.SpecHash is not null =>
            EventDraft.Normal(subject, PausedReason, "paused: no new ops request or full backup starts; the oplog is still archived"),
        ArchiverSpecObserved s when !s.Paused && before.Paused =>
            EventDraft.Normal(subject, ResumedReason, "resumed"),
        OpsRequestIssued i => EventDraft.Normal(subject, OpsRequestCreatedReason, $"MongoDBOpsRequest {i.OpsRequestId.Name} created to {Verb(i.Operation)} MongoDB {i.DatabaseId}"),
        OpsRequestPhaseObserved { Phase: OpsRequestPhase.Failed } o when before.Databases.GetValueOrDefault(o.DatabaseId)?.Phase != OpsRequestPhase.Failed =>
            EventDraft.Warn(subject, OpsRequestFailedReason, $"MongoDBOpsRequest {o.OpsRequestId.Name} for MongoDB {o.DatabaseId} failed: no other is created for it until that one is deleted"),
        DatabaseReleased r => EventDraft.Normal(subject, DatabaseReleasedReason, $"MongoDB {r.DatabaseId} is no longer archived by this archiver: {r.Reason}"),
        ArchiverDeletionStarted d => EventDraft.Normal(subject, DeletingReason, d.Policy switch
        {
            ArchiverDeletionPolicy.WipeOut => $"deletionPolicy WipeOut: archiving stops for every database and {d.PrefixesToWipe.Count} storage folder{(d.PrefixesToWipe.Count == 1 ? " is" : "s are")} wiped",
            ArchiverDeletionPolicy.Delete => "deletionPolicy Delete: archiving stops for every database; the backups in the storage are kept",
            _ => "deletionPolicy DoNotDelete: the databases keep their archiving resources; nothing is undone",
        }),
        ArchiverDeletionFinished => EventDraft.Normal(subject, DeletedReason, "deletion policy carried out; the finalizer is removed"),
        _ => null,
    };

    private static string Verb(ArchiverOperationType operation) => operation == ArchiverOperationType.ConfigureArchiver ? "configure archiving of" : "disable archiving of";
}
