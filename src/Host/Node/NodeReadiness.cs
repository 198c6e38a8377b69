using Akka.Actor;
using Akka.Cluster;
using Akka.Persistence;
using Archiver.Actors.Watching;

namespace Archiver.Host.Node;

/// <summary>
/// What <c>/readyz</c> answers (statefulset.yaml's readinessProbe): a node is ready for work once its ActorSystem runs,
/// it is an Up member of the cluster (a joining or leaving node hosts no shards), its journal answers a read (every
/// entity persists through it), and its resource cache has listed every kind (before that, decisions would see part of
/// the cluster). Each check is bounded, and the first that fails is named in one line. Liveness stays <c>/healthz</c>
/// (the ActorSystem alive), which a GC pause or a slow journal cannot fail: restarting a node for either would only
/// move its entities and their load to the others.
/// </summary>
public static class NodeReadiness
{
    /// <summary>How long the journal may take to answer before the node is reported not ready.</summary>
    public static readonly TimeSpan JournalTimeout = TimeSpan.FromSeconds(3);

    private const string ProbeId = "archiver-readiness-probe";

    /// <summary>Null when ready; otherwise why not.</summary>
    public static async Task<string?> CheckAsync(ActorSystem system, CancellationToken cancellation)
    {
        if (system.WhenTerminated.IsCompleted) return "the actor system has stopped";
        var self = Cluster.Get(system).SelfMember;
        if (self.Status != MemberStatus.Up) return $"not an Up member of the cluster yet ({self.Status})";
        if (!ResourceCache.For(system).Synced.IsCompletedSuccessfully) return "the resources have not all been listed yet";
        try
        {
            // Asks the journal for the highest sequence number of an id nothing writes: one read of the journal's table.
            var journal = Persistence.Instance.Apply(system).JournalFor(null);
            var answer = await journal.Ask<object>(replyTo => new ReplayMessages(0, 0, 0, ProbeId, replyTo), JournalTimeout, cancellation);
            return answer is ReplayMessagesFailure failure ? $"the journal fails: {failure.Cause.GetBaseException().Message}" : null;
        }
        catch (AskTimeoutException)
        {
            return $"the journal did not answer within {JournalTimeout.TotalSeconds:0} s";
        }
    }
}
