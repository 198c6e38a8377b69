using Akka.Cluster.Sharding;
using Archiver.Messages.Protocol;

namespace Archiver.Actors.Databases;

/// <summary>Routes database messages to their entity by <c>namespace/name</c>.</summary>
public sealed class DatabaseMessageExtractor() : HashCodeMessageExtractor(MaxShards)
{
    public const int MaxShards = 30;

    public override string? EntityId(object message) => message is IWithDatabaseId m ? m.DatabaseId.ToString() : null;
}
