using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.KubeDb;

/// <summary>
/// One workload KubeDB runs for a MongoDB, as kubedb/apimachinery's MongoDB helpers name it
/// (<c>apis/kubedb/v1/mongodb_helpers.go</c>): a replica set's <c>{db}</c>, or a sharded database's shard
/// <c>{db}-shard{n}</c> (ShardNodeName, replica set ShardRepSetName <c>shard{n}</c>), config server <c>{db}-configsvr</c>
/// (ConfigSvrNodeName, replica set <c>cnfRepSet</c>) and router <c>{db}-mongos</c> (MongosNodeName, no replica set, no
/// data volume). <see cref="Selectors"/> are its pods' selector (OffshootSelectors, plus ShardSelectors' <c>node.shard</c>,
/// ConfigSvrSelectors' <c>node.config</c> or MongosSelectors' <c>node.mongos</c> naming the workload); its governing
/// Service is <c>{workload}-pods</c> (GoverningServiceName). Component prefixes (<c>shardTopology.*.prefix</c>) are not
/// read: the stand-in names every component as a database without them.
/// </summary>
internal sealed record MongoDbComponent(
    string Workload,
    IReadOnlyDictionary<string, string> Selectors,
    int Replicas,
    string? ReplicaSet,
    string? NodeType,
    JsonObject? Storage,
    JsonObject PodTemplate)
{
    public const string ShardLabel = "mongodb.kubedb.com/node.shard";
    public const string ConfigLabel = "mongodb.kubedb.com/node.config";
    public const string MongosLabel = "mongodb.kubedb.com/node.mongos";

    /// <summary>The config server's replica set name (ConfigSvrRepSetName without a prefix).</summary>
    public const string ConfigReplicaSet = "cnfRepSet";

    /// <summary>The headless Service the workload's pods are named under (GoverningServiceName).</summary>
    public string GoverningService => $"{Workload}-pods";

    /// <summary>Whether its pods are MongoDB's routers (mongos: no data, no replica set, no role label).</summary>
    public bool IsMongos => NodeType == "mongos";

    /// <summary>A replica set database's one workload: <c>{db}</c>, selected by OffshootSelectors alone.</summary>
    public static MongoDbComponent ReplicaSetOf(JsonObject mongo)
    {
        var spec = mongo["spec"] as JsonObject ?? [];
        return new MongoDbComponent(J.Name(mongo), MongoDbManifests.Selectors(J.Name(mongo)), J.Int(spec["replicas"], 1),
            J.Text(spec["replicaSet"]?["name"]), null, spec["storage"] as JsonObject ?? [], spec["podTemplate"] as JsonObject ?? []);
    }

    /// <summary>
    /// A sharded database's workloads in the order KubeDB makes them: the config server, the shards, then the routers
    /// (mongos waits for the config server's primary).
    /// </summary>
    public static IReadOnlyList<MongoDbComponent> ShardedOf(JsonObject mongo)
    {
        var db = J.Name(mongo);
        var topology = mongo["spec"]?["shardTopology"] as JsonObject ?? [];
        var shard = topology["shard"] as JsonObject ?? [];
        var config = topology["configServer"] as JsonObject ?? [];
        var mongos = topology["mongos"] as JsonObject ?? [];
        var components = new List<MongoDbComponent>
        {
            new($"{db}-configsvr", WithNode(db, ConfigLabel, $"{db}-configsvr"), J.Int(config["replicas"], 1), ConfigReplicaSet, "configsvr",
                config["storage"] as JsonObject ?? [], config["podTemplate"] as JsonObject ?? []),
        };
        for (var n = 0; n < J.Int(shard["shards"], 1); n++)
        {
            components.Add(new($"{db}-shard{n}", WithNode(db, ShardLabel, $"{db}-shard{n}"), J.Int(shard["replicas"], 1), $"shard{n}", "shard",
                shard["storage"] as JsonObject ?? [], shard["podTemplate"] as JsonObject ?? []));
        }

        components.Add(new($"{db}-mongos", WithNode(db, MongosLabel, $"{db}-mongos"), J.Int(mongos["replicas"], 1), null, "mongos",
            null, mongos["podTemplate"] as JsonObject ?? []));
        return components;
    }

    private static Dictionary<string, string> WithNode(string db, string key, string workload)
    {
        var selectors = MongoDbManifests.Selectors(db);
        selectors[key] = workload;
        return selectors;
    }
}
