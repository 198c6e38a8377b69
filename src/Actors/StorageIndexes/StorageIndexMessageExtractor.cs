using Akka.Cluster.Sharding;
using Archiver.Messages.Protocol.StorageIndexes;

namespace Archiver.Actors.StorageIndexes;

/// <summary>Routes queries to the index of their backup storage, by <c>namespace/name</c>.</summary>
public sealed class StorageIndexMessageExtractor() : HashCodeMessageExtractor(MaxShards)
{
    public const int MaxShards = 30;

    public override string? EntityId(object message) => message is IWithStorageId m ? m.StorageId.ToString() : null;
}
