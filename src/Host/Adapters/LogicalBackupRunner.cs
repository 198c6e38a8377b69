using Akka.Actor;
using Akka.Hosting;
using Archiver.Actors.Hosting;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Messages.Resources;
using Archiver.Mongo.Backup;
using Archiver.Mongo.Sharding;

namespace Archiver.Host.Adapters;

/// <summary>
/// Full backups by logical dump (the driver that works everywhere; CSI snapshots need a cluster): a consistent dump
/// into the database's repository on its own timeline, then the StorageIndex is told to read the folder again. A
/// database reached through a router is a sharded cluster: <see cref="ShardedLogicalBackup"/> dumps all its replica sets.
/// </summary>
public sealed class LogicalBackupRunner(DatabaseRepositories repositories, MongoConnections connections, ActorRegistry registry, TimeProvider clock) : IFullBackupRunner
{
    public async Task<FullBackupResult> RunAsync(ResourceId database, string runId, int attempt, CancellationToken cancellation)
    {
        var repository = await repositories.ResolveAsync(database, cancellation);
        if (Refuses(repository.Archiver.FullBackupDriver()) is { } refusal)
        {
            // The archiver is refused at planning for this; a run that gets here had its spec changed under it.
            throw new NotSupportedException($"archiver {ResourceId.Of(repository.Archiver)}: {refusal}");
        }

        var client = await connections.ClientForAsync(repository.Database, cancellation);
        if (await ShardedTopology.IsRouterAsync(client, cancellation))
        {
            // A sharded cluster: every replica set at once, consistent at one cluster time, the balancer paused.
            // The timeline is read from the config server, whose lineage a restore wrote as every replica set's.
            var topology = await ShardedTopology.DiscoverAsync(client, cancellation);
            var sharded = await new ShardedLogicalBackup(client, connections.ReplicaSets(client), repository.Store, repository.Layout, new ShardedLogicalBackupOptions
            {
                Timeline = (await repository.TimelineAsync(connections.ReplicaSets(client)(topology.ConfigServer), clock, cancellation)).Id,
                Time = clock,
            }).RunAsync(cancellation);
            registry.Get<StorageIndexRegion>().Tell(new RefreshCatalog(repository.StorageId, repository.Layout.Prefix));
            return new FullBackupResult(sharded.Id, StoredBytes: sharded.TotalStoredBytes);
        }

        var options = new LogicalBackupOptions
        {
            Component = await MongoConnections.ReplicaSetNameAsync(client, cancellation),
            Timeline = (await repository.TimelineAsync(client, clock, cancellation)).Id,
            // The restore owns a fresh replica set; these are the server's own.
            IncludeDatabase = name => name is not ("admin" or "config" or "local"),
            Time = clock,
        };
        var manifest = await new LogicalBackup(client, repository.Store, repository.Layout, options).RunAsync(cancellation);
        registry.Get<StorageIndexRegion>().Tell(new RefreshCatalog(repository.StorageId, repository.Layout.Prefix));
        return new FullBackupResult(manifest.Id, StoredBytes: manifest.TotalStoredBytes);
    }

    public string? Refuses(FullBackupDriver driver) => driver == FullBackupDriver.Logical ? null
        : "spec.fullBackup.driver CSISnapshotter (the default) takes volume snapshots, which this node cannot: set spec.fullBackup.driver: Logical";
}
