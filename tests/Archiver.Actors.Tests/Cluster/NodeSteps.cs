using System.Collections.Concurrent;
using System.Diagnostics;
using Archiver.Actors.OpsRequests;
using Archiver.Messages.Protocol.OpsRequests;

namespace Archiver.Actors.Tests.Cluster;

/// <summary>
/// The steps as one node runs them: the nodes share one set of steps (so side effects are counted once across the
/// cluster), and this notes where and when each run began, which is how a test finds the node hosting an entity.
/// </summary>
internal sealed class NodeSteps(IOpsRequestSteps shared, string node, ConcurrentQueue<StepRun> runs) : IOpsRequestSteps
{
    public Task<string> RunAsync(OpsRequestStep step, OpsRequestState request, CancellationToken cancellation)
    {
        runs.Enqueue(new StepRun(node, step, Stopwatch.GetTimestamp()));
        return shared.RunAsync(step, request, cancellation);
    }
}
