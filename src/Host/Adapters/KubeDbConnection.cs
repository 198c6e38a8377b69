using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Adapters;

/// <summary>
/// The connection string KubeDB's conventions give a MongoDB resource: its primary service
/// <c>{name}.{namespace}.svc:27017</c> (the driver then finds the members from the replica set's own hello), the
/// root credentials of its auth secret, <c>authSource=admin</c>, and <c>replicaSet</c> from
/// <c>spec.replicaSet.name</c> when the resource runs one. TLS is set apart, from the client certificate secret
/// (<see cref="MongoConnections"/>).
/// </summary>
internal static class KubeDbConnection
{
    private const int Port = 27017;

    public static string Uri(MongoDBResource db, string username, string password) =>
        Uri(db).Replace("mongodb://", $"mongodb://{System.Uri.EscapeDataString(username)}:{System.Uri.EscapeDataString(password)}@", StringComparison.Ordinal);

    /// <summary>The same without credentials, for a pod that is given them apart (a backup Job: from KubeDB's auth secret).</summary>
    public static string Uri(MongoDBResource db)
    {
        var host = $"{db.Metadata.Name}.{db.Metadata.NamespaceProperty}.svc:{Port}";
        var query = "authSource=admin";
        if (db.ReplicaSetName() is { Length: > 0 } replicaSet)
        {
            query += "&replicaSet=" + System.Uri.EscapeDataString(replicaSet);
        }

        return $"mongodb://{host}/?{query}";
    }
}
