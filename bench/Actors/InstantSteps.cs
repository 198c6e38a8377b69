using Archiver.Actors.OpsRequests;
using Archiver.Messages.Protocol.OpsRequests;

namespace Archiver.Bench.Actors;

/// <summary>Steps with no work: the failover figure is the cluster's, so nothing else should take time.</summary>
internal sealed class InstantSteps : IOpsRequestSteps
{
    public Task<string> RunAsync(OpsRequestStep step, OpsRequestState request, CancellationToken cancellation) =>
        Task.FromResult($"{step} done");
}
