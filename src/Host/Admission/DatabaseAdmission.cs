using Archiver.Actors.Archivers;
using Archiver.Actors.Databases;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Resources;
using Archiver.Storage.Catalog;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Admission;

/// <summary>
/// The seed's mutator step at a database's creation: a MongoDB resource created with no <c>spec.archiver</c> gets the
/// reference of the archiver that selects it (<see cref="DatabaseMutator"/>), so its own entity configures it from
/// its first pod, with no ops request and no restart. The mutating webhook runs it in a cluster; <c>apply</c> on the
/// embedded node. Both also refuse a database created to be restored from a history its spec cannot take
/// (<see cref="RestoreProblemAsync"/>); the webhook refuses a standalone that asks to be archived or restored
/// (<see cref="StandaloneProblem"/>).
/// </summary>
public sealed class DatabaseAdmission(IResourceStore store, IRestorePlanLookup plans, IFullBackupRunner backups, TimeProvider time)
{
    /// <summary>A standalone, on a node that refuses one by its spec (<see cref="IFullBackupRunner.RefusesStandalone"/>): why; else null.</summary>
    public string? StandaloneProblem(MongoDBResource database) => database.IsStandalone() ? backups.RefusesStandalone() : null;

    public async Task<MongoDBResource> MutateAsync(MongoDBResource database, CancellationToken cancellation)
    {
        if (database.Spec?.Archiver is not null) return database;
        var archivers = await store.ListAsync<MongoDBArchiver>(null, cancellation);
        var namespaces = await store.ListNamespacesAsync(cancellation);
        var mutated = DatabaseMutator.Mutate(database, archivers, namespaces);
        // A database the node cannot archive with the chosen archiver (a standalone in a cluster; a sharded one with a
        // cluster's CSISnapshotter) gets no reference: its archiver says why instead, as the planner decides it.
        if (DatabaseMutator.ArchiverOf(mutated) is { } chosen && archivers.FirstOrDefault(a => ResourceId.Of(a) == chosen) is { } archiver
            && ArchiverSelection.Unsupported(mutated, backups.RefusesSharded(archiver.FullBackupDriver()), backups.RefusesStandalone()) is not null)
        {
            return database;
        }

        return mutated;
    }

    /// <summary>
    /// What <c>apply</c> refuses before it applies anything: each new database among <paramref name="resources"/> whose
    /// restore its spec cannot take (<see cref="RestoreProblemAsync"/>), as a line naming it and the field.
    /// </summary>
    public async Task<IReadOnlyList<string>> RefusedRestoresAsync(IEnumerable<Resource> resources, CancellationToken cancellation)
    {
        var refused = new List<string>();
        foreach (var db in resources.OfType<MongoDBResource>().Where(d => d.Spec?.Init?.Archiver is not null))
        {
            var id = new ResourceId(db.Metadata.NamespaceProperty, db.Metadata.Name);
            // A database already there asked for its restore when it was made; an edit of it is not a new request.
            if (await store.GetAsync<MongoDBResource>(id, cancellation) is not null) continue;
            if (await RestoreProblemAsync(await MutateAsync(db, cancellation), cancellation) is { } problem)
            {
                refused.Add($"MongoDB {id}: spec.init.archiver: {problem}");
            }
        }

        return refused;
    }

    /// <summary>
    /// Why a database asking for a restore (<c>spec.init.archiver</c>) cannot have it, when that is known now: the plan
    /// its storage's index would make is of another shape than its spec (<see cref="RestoreDecider.ShapeProblem"/>: a
    /// sharded cluster's history into a replica set, or into a cluster of another shard count). Null when it asks for
    /// none, or when the plan cannot be had at once: the restore checks again when it plans.
    /// </summary>
    /// <param name="database">As mutated (<see cref="MutateAsync"/>): its archiver decides where the history is found.</param>
    public async Task<string?> RestoreProblemAsync(MongoDBResource database, CancellationToken cancellation)
    {
        if (database.Spec?.Init?.Archiver is null) return null;
        var id = new ResourceId(database.Metadata.NamespaceProperty, database.Metadata.Name);
        var archiver = database.Spec.Archiver?.Ref is { } reference
            ? await store.GetAsync<MongoDBArchiver>(new ResourceId(reference.NamespaceOr(id.Namespace), reference.Name), cancellation)
            : null;
        // The same reading of the request the database's entity makes: its storage, its prefix, its target.
        if (RestoreDecider.Request(DatabaseState.Empty(id), database, archiver, time.GetUtcNow()) is not [RestoreRequested requested]) return null;
        var plan = await plans.PlanAsync(requested.StorageId, requested.SourcePrefix, RecoveryTarget.AtTime(requested.Target).Format(), cancellation);
        return plan is null ? null : RestoreDecider.ShapeProblem(plan, database);
    }
}
