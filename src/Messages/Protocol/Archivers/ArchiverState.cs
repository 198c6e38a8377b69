using System.Collections.Immutable;
using Archiver.Messages.Resources;

namespace Archiver.Messages.Protocol.Archivers;

/// <summary>What an archiver entity remembers: the spec it acts on, and per database the last ops request it issued.</summary>
public sealed record ArchiverState : IArchiverProtocolMember
{
    public required ResourceId Id { get; init; }
    public long Generation { get; init; }
    public string? SpecHash { get; init; }
    public bool Paused { get; init; }
    public ArchiverDeletionPolicy? Deleting { get; init; }
    public IReadOnlyList<string> PrefixesToWipe { get; init; } = [];
    public bool Deleted { get; init; }
    public ImmutableSortedDictionary<ResourceId, ArchivedDatabase> Databases { get; init; } = ImmutableSortedDictionary<ResourceId, ArchivedDatabase>.Empty;

    public static ArchiverState Empty(ResourceId id) => new() { Id = id };

    public ArchiverState Apply(IArchiverEvent e) => e switch
    {
        ArchiverSpecObserved s => this with { Generation = s.Generation, SpecHash = s.SpecHash, Paused = s.Paused },
        OpsRequestIssued i => this with
        {
            Databases = Databases.SetItem(i.DatabaseId, new ArchivedDatabase(i.DatabaseId, i.OpsRequestId, i.Operation, OpsRequestPhase.Pending, i.SpecHash, Seen: false)),
        },
        OpsRequestPhaseObserved p when Databases.TryGetValue(p.DatabaseId, out var db) && db.OpsRequestId == p.OpsRequestId => this with
        {
            Databases = Databases.SetItem(p.DatabaseId, db with { Phase = p.Phase, Seen = true }),
        },
        OpsRequestPhaseObserved => this,
        DatabaseReleased r => this with { Databases = Databases.Remove(r.DatabaseId) },
        ArchiverDeletionStarted d => this with { Deleting = d.Policy, PrefixesToWipe = d.PrefixesToWipe },
        ArchiverDeletionFinished => this with { Deleted = true },
        _ => throw new ArgumentException($"unknown archiver event {e.GetType().Name}", nameof(e)),
    };
}

/// <summary>A database the archiver has acted on, and the last ops request it issued for it.</summary>
/// <param name="Seen">Whether the request was ever seen in the store: one issued but never seen was lost to a crash
/// before it was created, and is created again; one seen and then gone was deleted by a person.</param>
public sealed record ArchivedDatabase(ResourceId DatabaseId, ResourceId OpsRequestId, ArchiverOperationType Operation, OpsRequestPhase Phase, string? SpecHash, bool Seen)
{
    public bool InFlight => Phase is OpsRequestPhase.Pending or OpsRequestPhase.Progressing;
}
