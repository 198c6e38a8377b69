using Archiver.Actors.Databases;
using Archiver.Actors.Ports;
using Archiver.Messages.Resources;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Admission;

/// <summary>
/// The seed's mutator step at a database's creation: a MongoDB resource created with no <c>spec.archiver</c> gets the
/// reference of the archiver that selects it (<see cref="DatabaseMutator"/>), so its own entity configures it from
/// its first pod, with no ops request and no restart. The mutating webhook runs it in a cluster; <c>apply</c> on the
/// embedded node.
/// </summary>
public sealed class DatabaseAdmission(IResourceStore store)
{
    public async Task<MongoDBResource> MutateAsync(MongoDBResource database, CancellationToken cancellation)
    {
        if (database.Spec?.Archiver is not null) return database;
        var archivers = await store.ListAsync<MongoDBArchiver>(null, cancellation);
        var namespaces = await store.ListNamespacesAsync(cancellation);
        return DatabaseMutator.Mutate(database, archivers, namespaces);
    }
}
