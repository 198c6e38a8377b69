using Akka.Cluster.Sharding;
using Archiver.Messages.Protocol;

namespace Archiver.Actors.OpsRequests;

/// <summary>Routes ops request messages to their entity by <c>namespace/name</c>.</summary>
public sealed class OpsRequestMessageExtractor() : HashCodeMessageExtractor(MaxShards)
{
    /// <summary>Ten shards per node of a three-node cluster; fixed for the life of a journal.</summary>
    public const int MaxShards = 30;

    public override string? EntityId(object message) => message switch
    {
        IWithOpsRequestId m => m.OpsRequestId.ToString(),
        _ => null,
    };
}
