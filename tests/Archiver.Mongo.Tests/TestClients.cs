using MongoDB.Driver;

namespace Archiver.Mongo.Tests;

/// <summary>Clients with short timeouts, disposed so their monitors stop (Dispose alone leaves them running in 3.14).</summary>
internal static class TestClients
{
    public static MongoClient Create(string uri, Action<MongoClientSettings>? configure = null)
    {
        var settings = MongoClientSettings.FromConnectionString(uri);
        settings.ServerSelectionTimeout = TimeSpan.FromSeconds(5);
        settings.ConnectTimeout = TimeSpan.FromSeconds(3);
        // Short heartbeats so a failover is noticed quickly.
        settings.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
        configure?.Invoke(settings);
        return new MongoClient(settings);
    }

    public static void Dispose(MongoClient client) => ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
}
