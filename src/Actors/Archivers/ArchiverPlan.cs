using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Archivers;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Archivers;

/// <summary>What a reconcile decided: events to persist, ops requests to (re)create, and the status to write.</summary>
public sealed record ArchiverPlan(
    IReadOnlyList<IArchiverEvent> Events,
    IReadOnlyList<OpsRequestIssued> ToCreate,
    ArchiverPhase Phase,
    IReadOnlyList<ArchivedDatabaseRef> DatabaseRefs,
    IReadOnlyList<Condition> Conditions,
    IReadOnlyList<string> PrefixesToWipe,
    bool FinishDeletion)
{
    public static ArchiverPlan Nothing(ArchiverPhase phase) => new([], [], phase, [], [], [], false);
}

/// <summary>Why a selected database (or, with no <paramref name="DatabaseId"/>, every one) gets no ops request now.</summary>
public sealed record Holdup(ResourceId? DatabaseId, string Kind, string Reason);
