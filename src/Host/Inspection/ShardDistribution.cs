using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Archiver.Actors.Archivers;
using Archiver.Actors.Databases;
using Archiver.Actors.Hosting;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.StorageIndexes;

namespace Archiver.Host.Inspection;

/// <summary>
/// <c>/inspect/shards</c>: per shard region, which member hosts which shards and how many entities each holds,
/// from the cluster-wide statistics every region answers (<see cref="GetClusterShardingStats"/>).
/// </summary>
public static class ShardDistribution
{
    /// <summary>The regions an Archiver node runs: type name, registry key and the extractor that places ids on shards.</summary>
    public static readonly IReadOnlyList<(string TypeName, Func<ActorRegistry, IActorRef> Region, IMessageExtractor Extractor)> Regions =
    [
        ("opsrequest", r => r.Get<OpsRequestRegion>(), new OpsRequestMessageExtractor()),
        ("archiver", r => r.Get<ArchiverRegion>(), new ArchiverMessageExtractor()),
        ("database", r => r.Get<DatabaseRegion>(), new DatabaseMessageExtractor()),
        ("storageindex", r => r.Get<StorageIndexRegion>(), new StorageIndexMessageExtractor()),
    ];

    public static async Task<ShardsResponse> ReadAsync(ActorRegistry registry, TimeSpan timeout, CancellationToken cancellation)
    {
        var regions = await Task.WhenAll(Regions.Select(r => ReadRegionAsync(r.TypeName, r.Region(registry), timeout, cancellation)));
        return new ShardsResponse(regions);
    }

    /// <summary>The member whose region hosts <paramref name="shardId"/>, or null when no member has it allocated.</summary>
    public static async Task<string?> HomeOfAsync(IActorRef region, string shardId, TimeSpan timeout, CancellationToken cancellation)
    {
        var stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(timeout), timeout + TimeSpan.FromSeconds(1), cancellation);
        return stats.Regions.Where(r => r.Value.Stats.ContainsKey(shardId)).Select(r => r.Key.ToString()).FirstOrDefault();
    }

    private static async Task<RegionInfo> ReadRegionAsync(string typeName, IActorRef region, TimeSpan timeout, CancellationToken cancellation)
    {
        ClusterShardingStats stats;
        try
        {
            // The region fans the question out to every member's region and waits up to the given timeout;
            // the ask waits a little longer so a slow member shows as failed rather than as an error.
            stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(timeout), timeout + TimeSpan.FromSeconds(1), cancellation);
        }
        catch (AskTimeoutException)
        {
            return new RegionInfo(typeName, 0, 0, [], $"the {typeName} region did not answer within {timeout.TotalSeconds:0}s");
        }

        var nodes = stats.Regions
            .OrderBy(r => r.Key.ToString(), StringComparer.Ordinal)
            .Select(r => new RegionNodeInfo(
                r.Key.ToString(),
                r.Value.Stats.Count,
                r.Value.Stats.Values.Sum(),
                [.. r.Value.Stats.OrderBy(s => s.Key, ShardIdOrder.Instance).Select(s => new ShardInfo(s.Key, s.Value))],
                [.. (r.Value.Failed ?? []).Order(ShardIdOrder.Instance)]))
            .ToList();
        return new RegionInfo(typeName, nodes.Sum(n => n.Shards), nodes.Sum(n => n.Entities), nodes, null);
    }

    /// <summary>Shard ids are numbers for hash-code extractors: 2 before 10.</summary>
    private sealed class ShardIdOrder : IComparer<string>
    {
        public static readonly ShardIdOrder Instance = new();

        public int Compare(string? x, string? y) =>
            int.TryParse(x, out var a) && int.TryParse(y, out var b) ? a.CompareTo(b) : string.CompareOrdinal(x, y);
    }
}
