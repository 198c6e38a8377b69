using Akka.Actor;
using Akka.Hosting;
using Archiver.Actors.Hosting;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.StorageIndexes;

namespace Archiver.Host.Admission;

/// <summary>
/// Asks the storage's index (<see cref="PlanRecovery"/>), as <c>archiver plan</c> does, within <see cref="Budget"/>: an
/// admission webhook answers the API server within its timeout (10 s by default), and a plan the index cannot make in
/// time is left to the restore.
/// </summary>
public sealed class StorageIndexPlanLookup(ActorRegistry registry) : IRestorePlanLookup
{
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

    public async Task<PlanInfo?> PlanAsync(ResourceId storage, string prefix, string target, CancellationToken cancellation)
    {
        try
        {
            var reply = await registry.Get<StorageIndexRegion>().Ask<RecoveryPlanReply>(new PlanRecovery(storage, prefix, target), Budget, cancellation);
            return reply.Plan;
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }
}
