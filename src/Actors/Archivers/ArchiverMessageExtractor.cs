using Akka.Cluster.Sharding;
using Archiver.Messages.Protocol;

namespace Archiver.Actors.Archivers;

/// <summary>Routes archiver messages to their entity by <c>namespace/name</c>.</summary>
public sealed class ArchiverMessageExtractor() : HashCodeMessageExtractor(MaxShards)
{
    public const int MaxShards = 30;

    public override string? EntityId(object message) => message is IWithArchiverId m ? m.ArchiverId.ToString() : null;
}
