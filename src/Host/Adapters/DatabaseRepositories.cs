using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;
using Archiver.Storage.Backends;
using Archiver.Storage.Layout;
using Archiver.Mongo.Archiving;
using MongoDB.Driver;

namespace Archiver.Host.Adapters;

/// <summary>Where one database's history lives, as its archiver says: the storage, the folder and the open store.</summary>
public sealed record DatabaseRepository(MongoDBResource Database, MongoDBArchiver Archiver, ResourceId StorageId, IObjectStore Store, RepositoryLayout Layout)
{
    /// <summary>
    /// The timeline this database writes (its own; timeline 1 on an empty folder; a branch of the history it was
    /// restored from), claimed if need be. Its replica set is read first: see <see cref="ArchivingTimeline"/>. A sharded
    /// cluster's is read from its config server (<paramref name="client"/>): a router has no oplog to read.
    /// </summary>
    public async Task<TimelineRecord> TimelineAsync(IMongoClient client, TimeProvider clock, CancellationToken cancellation)
    {
        var uid = Database.Metadata.Uid ?? throw new InvalidOperationException($"MongoDB {ResourceId.Of(Database)} has no metadata.uid");
        return await ArchivingTimeline.OpenAsync(client, Store, Layout, uid, clock.GetUtcNow(), cancellation);
    }

    /// <summary>One replica set's oplog stream of this database: its timeline and where it starts (<see cref="ArchivingTimeline.OpenStreamAsync"/>).</summary>
    public async Task<ArchivingStart> StreamAsync(IMongoClient replicaSet, TimeProvider clock, CancellationToken cancellation)
    {
        var uid = Database.Metadata.Uid ?? throw new InvalidOperationException($"MongoDB {ResourceId.Of(Database)} has no metadata.uid");
        return await ArchivingTimeline.OpenStreamAsync(replicaSet, Store, Layout, uid, clock.GetUtcNow(), cancellation);
    }
}

/// <summary>Resolves a database's repository from the resources: the database names its archiver, which names the storage and prefix.</summary>
public sealed class DatabaseRepositories(IResourceStore resources, IObjectStoreProvider stores)
{
    /// <summary>The BackupStorage resource a repository is in (a backup Job is given it as the node reads it).</summary>
    public async Task<BackupStorage> StorageAsync(ResourceId storage, CancellationToken cancellation = default) =>
        await resources.GetAsync<BackupStorage>(storage, cancellation) ?? throw new InvalidOperationException($"BackupStorage {storage} not found");

    public async Task<DatabaseRepository> ResolveAsync(ResourceId database, CancellationToken cancellation = default)
    {
        var db = await resources.GetAsync<MongoDBResource>(database, cancellation)
            ?? throw new InvalidOperationException($"MongoDB {database} not found");
        var reference = db.Spec?.Archiver?.Ref
            ?? throw new InvalidOperationException($"MongoDB {database} has no spec.archiver.ref: no archiver backs it up");
        var archiverId = new ResourceId(reference.NamespaceOr(database.Namespace), reference.Name);
        var archiver = await resources.GetAsync<MongoDBArchiver>(archiverId, cancellation)
            ?? throw new InvalidOperationException($"MongoDB {database}: its archiver {archiverId} not found");
        var storage = ArchiverResources.StorageId(archiver);
        return new DatabaseRepository(db, archiver, storage, await stores.OpenAsync(storage, cancellation), new RepositoryLayout(ArchiverResources.Directory(archiver, database)));
    }
}
