using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.StorageIndexes;

namespace Archiver.Host.Admission;

/// <summary>
/// The plan a restore of <c>prefix</c> in <c>storage</c> to <c>target</c> would run, when its storage's index can say
/// so at once; null when it cannot (the storage unknown yet, a listing still loading, a refusal, a timeout): admission
/// then lets the database in, and the restore itself checks again when it plans.
/// </summary>
public interface IRestorePlanLookup
{
    Task<PlanInfo?> PlanAsync(ResourceId storage, string prefix, string target, CancellationToken cancellation);
}
