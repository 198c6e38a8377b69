using System.Text.Json;
using Archiver.Messages.Resources;

namespace Archiver.Kubernetes;

/// <summary>
/// The workloads (StatefulSet or PetSet) whose pods run a MongoDB's <c>mongod</c> members, each with the replica set
/// its members form: the one a replica set's sidecar archives. A replica set has one, named after the database. A
/// sharded database (<c>spec.shardTopology</c>) has its config server's, <c>{db}-configsvr</c> (replica set
/// <c>cnfRepSet</c>), and one per shard, <c>{db}-shard{n}</c> (replica set <c>shard{n}</c>), each name preceded by
/// its component's <c>prefix</c> as KubeDB names them (kubedb/apimachinery <c>apis/kubedb/v1/mongodb_helpers.go</c>:
/// ConfigSvrNodeName, ShardNodeName, ConfigSvrRepSetName, ShardRepSetName;
/// the stand-in's src/Emulators/Cluster/KubeDb/MongoDbComponent.cs). Its routers' <c>{db}-mongos</c> is never one:
/// a mongos keeps no oplog.
/// </summary>
public static class MemberWorkloads
{
    /// <summary>The label KubeDB puts on a sharded database's router pods (value: the routers' workload name).</summary>
    public const string MongosLabel = "mongodb.kubedb.com/node.mongos";

    /// <summary>The config server's replica set name when its component has no prefix (ConfigSvrRepSetName).</summary>
    public const string ConfigReplicaSet = "cnfRepSet";

    /// <summary>One workload of members: its name and the replica set (the archived component) its pods form.</summary>
    public sealed record Member(string Workload, string ReplicaSet);

    /// <summary>The member workloads of <paramref name="database"/>, the config server first, then the shards in order.</summary>
    public static IReadOnlyList<Member> Of(MongoDB database)
    {
        ArgumentNullException.ThrowIfNull(database);
        var name = database.Metadata.Name;
        if (!database.IsSharded()) return [new Member(name, database.ReplicaSetName() ?? name)];
        var topology = database.Spec!.Other!["shardTopology"];
        var configPrefix = Prefix(topology, "configServer");
        var shardPrefix = Prefix(topology, "shard");
        List<Member> members = [new($"{configPrefix}{name}-configsvr", configPrefix.Length > 0 ? configPrefix : ConfigReplicaSet)];
        for (var n = 0; n < Math.Max(1, database.ShardCount() ?? 1); n++)
        {
            members.Add(new($"{shardPrefix}{name}-shard{n}", shardPrefix.Length > 0 ? $"{shardPrefix}{n}" : $"shard{n}"));
        }

        return members;
    }

    /// <summary>Whether a pod is one of a sharded database's routers, which gets no sidecar.</summary>
    public static bool IsRouter(IDictionary<string, string>? podLabels) => podLabels?.ContainsKey(MongosLabel) == true;

    private static string Prefix(JsonElement topology, string component) =>
        topology.TryGetProperty(component, out var node) && node.ValueKind == JsonValueKind.Object
        && node.TryGetProperty("prefix", out var prefix) && prefix.ValueKind == JsonValueKind.String
            ? prefix.GetString() ?? ""
            : "";
}
