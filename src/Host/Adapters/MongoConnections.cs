using System.Collections.Concurrent;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Mongo.Connections;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Host.Adapters;

/// <summary>
/// How a node reaches a MongoDB resource's replica set (for full backups and restores). A resource may name a secret
/// in its own namespace with the annotation <c>archiver.kubedb.com/connection-secret</c>, whose <c>uri</c> key holds
/// the connection string; that always wins. Without it, the database is taken to be KubeDB's: the credentials from
/// its auth secret (<c>spec.authSecret.name</c>, by default <c>{name}-auth</c>, keys <c>username</c> and
/// <c>password</c>, the same the sidecar gets) and the primary through KubeDB's service <c>{name}.{namespace}.svc</c>,
/// with <c>spec.replicaSet.name</c> as the replica set. Either way, a database KubeDB runs with TLS (<c>spec.sslMode</c>
/// other than <c>disabled</c>) is reached over TLS with the client certificate KubeDB issues it
/// (<see cref="MongoDBResource.TlsClientSecretName"/>), trusting that secret's CA. Clients are shared per connection
/// string and certificate, as the driver intends.
/// </summary>
public sealed class MongoConnections(IResourceStore store, ISecretSource secrets) : IAsyncDisposable
{
    public const string ConnectionSecretAnnotation = RestoreSettings.ConnectionSecretAnnotation;
    public const string UriKey = "uri";

    private readonly ConcurrentDictionary<string, MongoClient> _clients = new(StringComparer.Ordinal);

    public async Task<IMongoClient> ClientForAsync(ResourceId database, CancellationToken cancellation = default)
    {
        var db = await store.GetAsync<MongoDBResource>(database, cancellation)
            ?? throw new InvalidOperationException($"MongoDB {database} not found");
        return await ClientForAsync(db, cancellation);
    }

    public Task<IMongoClient> ClientForAsync(MongoDBResource db, CancellationToken cancellation = default) =>
        ClientForAsync(db, db.Metadata.Annotations?.TryGetValue(ConnectionSecretAnnotation, out var name) == true ? name : null, cancellation);

    /// <summary>A client through <paramref name="secretName"/> (its <c>uri</c>) when given, else KubeDB's auth secret.</summary>
    public async Task<IMongoClient> ClientForAsync(MongoDBResource db, string? secretName, CancellationToken cancellation = default)
    {
        var id = ResourceId.Of(db);
        string uri;
        if (!string.IsNullOrEmpty(secretName))
        {
            uri = await secrets.ReadAsync(new ResourceId(id.Namespace, secretName), UriKey, cancellation);
        }
        else
        {
            var auth = new ResourceId(id.Namespace, db.AuthSecretName());
            try
            {
                var credentials = await secrets.ReadAsync(auth, [MongoDBResource.AuthUsernameKey, MongoDBResource.AuthPasswordKey], cancellation);
                uri = KubeDbConnection.Uri(db, credentials[0], credentials[1]);
            }
            catch (SecretNotFoundException e)
            {
                throw new SecretNotFoundException(
                    $"MongoDB {id}: no metadata.annotations[{ConnectionSecretAnnotation}] naming a secret with a '{UriKey}' key, and KubeDB's auth secret cannot be used: {e.Message}");
            }
        }

        var tls = await TlsAsync(db, id, cancellation);
        // A rotated certificate makes a new client; the old one stays until the node stops, as clients for old URIs do.
        return _clients.GetOrAdd(tls is null ? uri : $"{uri}\n{tls.Fingerprint()}", _ => Create(uri, tls, db));
    }

    /// <summary>
    /// A client of one member of the database's replica set alone (a direct connection, as to a secondary to be locked),
    /// with the same credentials and TLS as <see cref="ClientForAsync(MongoDBResource, CancellationToken)"/>.
    /// </summary>
    public async Task<IMongoClient> MemberClientAsync(MongoDBResource db, string host, CancellationToken cancellation = default)
    {
        var settings = (await ClientForAsync(db, cancellation)).Settings.Clone();
        settings.Servers = [MongoServerAddress.Parse(host)];
        settings.ReplicaSetName = null;
        settings.DirectConnection = true;
        return _clients.GetOrAdd($"{settings}\nmember {host}", _ => new MongoClient(settings));
    }

    private async Task<MongoTlsMaterial?> TlsAsync(MongoDBResource db, ResourceId id, CancellationToken cancellation)
    {
        if (db.TlsClientSecretName() is not { } name) return null;
        try
        {
            var pem = await secrets.ReadAsync(
                new ResourceId(id.Namespace, name), [MongoDBResource.TlsCaKey, MongoDBResource.TlsCertificateKey, MongoDBResource.TlsPrivateKeyKey], cancellation);
            return new MongoTlsMaterial(pem[0], pem[1], pem[2]);
        }
        catch (SecretNotFoundException e)
        {
            throw new SecretNotFoundException($"MongoDB {id} uses TLS (spec.sslMode) and its client certificate cannot be read: {e.Message}");
        }
    }

    private static MongoClient Create(string uri, MongoTlsMaterial? tls, MongoDBResource db)
    {
        var settings = MongoClientSettings.FromConnectionString(uri);
        settings.ServerSelectionTimeout = TimeSpan.FromSeconds(10);
        if (tls is not null)
        {
            try
            {
                MongoTls.Apply(settings, tls);
            }
            catch (FormatException e)
            {
                throw new InvalidOperationException(
                    $"MongoDB {ResourceId.Of(db)}: secret {db.Metadata.NamespaceProperty}/{db.TlsClientSecretName()} ({MongoDBResource.TlsCaKey}, {MongoDBResource.TlsCertificateKey}, {MongoDBResource.TlsPrivateKeyKey}): {e.Message}", e);
            }
        }

        return new MongoClient(settings);
    }

    /// <summary>
    /// How to reach each replica set of the sharded cluster behind <paramref name="router"/> directly (its config server,
    /// its shards), with the router's credentials and TLS; clients are shared as the router's are.
    /// </summary>
    public Func<Mongo.Sharding.ReplicaSetEndpoint, IMongoClient> ReplicaSets(IMongoClient router) => set =>
        _clients.GetOrAdd($"{router.Settings}\nreplica set {set.ReplicaSet}/{string.Join(',', set.Hosts)}", _ => new MongoClient(Mongo.Sharding.ShardedTopology.SettingsFor(set, router.Settings)));

    /// <summary>The replica set's name: the component its oplog chunks and backups are filed under.</summary>
    public static async Task<string> ReplicaSetNameAsync(IMongoClient client, CancellationToken cancellation)
    {
        var hello = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1), cancellationToken: cancellation);
        return hello.TryGetValue("setName", out var name) && name.IsString
            ? name.AsString
            : throw new InvalidOperationException("the server is not a replica-set member: point-in-time recovery needs an oplog");
    }

    public ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            // MongoClient.Dispose leaves the heartbeats of 3.x running; this closes the sockets.
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
        }

        _clients.Clear();
        return ValueTask.CompletedTask;
    }
}
