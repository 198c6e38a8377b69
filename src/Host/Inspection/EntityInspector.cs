using Akka.Actor;
using Akka.Hosting;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Archivers;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Inspection;

/// <summary>
/// <c>/inspect/entity/{kind}/{namespace}/{name}</c>: one persistent entity (ops request, archiver, database):
/// the member hosting it, its live state from its own state query, and its history from the journal.
/// </summary>
public static class EntityInspector
{
    public static readonly IReadOnlyList<EntityKind> Kinds =
    [
        new("opsrequest", ["opsrequests", "mongodbopsrequest", "mongodbopsrequests", "ops"], MongoDBOpsRequest.KindName,
            // The persistence ids below are the ones the entities give themselves (OpsRequestActor, ArchiverActor,
            // DatabaseActor): an inspection reads the same journal streams they replay.
            id => $"opsrequest-{id}",
            id => new GetOpsRequestState(id),
            async (store, id, c) => await store.GetAsync<MongoDBOpsRequest>(id, c) is { } r ? r.Status?.Phase?.ToString() ?? "New" : null),
        new("archiver", ["archivers", "mongodbarchiver", "mongodbarchivers"], MongoDBArchiver.KindName,
            id => $"archiver-{id}",
            id => new GetArchiverState(id),
            async (store, id, c) => await store.GetAsync<MongoDBArchiver>(id, c) is { } r ? r.Status?.Phase?.ToString() ?? "New" : null),
        new("database", ["databases", "mongodb", "mongodbs", "db"], MongoDBResource.KindName,
            id => $"database-{id}",
            id => new GetDatabaseState(id),
            async (store, id, c) => await store.GetAsync<MongoDBResource>(id, c) is { } r ? r.Status?.Archiver?.Phase?.ToString() ?? "None" : null),
    ];

    public static EntityKind? FindKind(string name) =>
        Kinds.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase) || k.Aliases.Contains(name, StringComparer.OrdinalIgnoreCase));

    public static string DescribeKinds() => string.Join(", ", Kinds.Select(k => k.Name));

    /// <summary>The entity, or null when neither a resource nor a journal stream exists for it.</summary>
    /// <remarks>
    /// The state query is sent only to an entity that exists: asking one that does not would start it, and with
    /// remember-entities on, the cluster would bring that empty entity back after every restart.
    /// </remarks>
    public static async Task<EntityResponse?> InspectAsync(
        EntityKind kind, ResourceId id, int eventLimit, IResourceStore store, ActorRegistry registry, JournalReader journal, TimeSpan timeout, CancellationToken cancellation)
    {
        var phase = await kind.ResourcePhase(store, id, cancellation);
        var resourceExists = phase is not null;
        var persistenceId = kind.PersistenceId(id);
        var history = await journal.ReadAsync(persistenceId, eventLimit, cancellation);
        if (!resourceExists && history.HighestSequenceNr == 0) return null;

        var (_, regionOf, extractor) = ShardDistribution.Regions.Single(r => r.TypeName == kind.Name);
        var region = regionOf(registry);
        var query = kind.StateQuery(id);
        var shard = extractor.ShardId(id.ToString(), query);
        object? state = null;
        string? stateError = null;
        try
        {
            state = await region.Ask<object>(query, timeout, cancellation);
        }
        catch (AskTimeoutException)
        {
            stateError = $"the entity did not answer its state query within {timeout.TotalSeconds:0}s";
        }

        if (state is OpsRequestState { IsAccepted: true } live) phase = live.Phase.ToString();
        string? node;
        try
        {
            node = await ShardDistribution.HomeOfAsync(region, shard, timeout, cancellation);
        }
        catch (AskTimeoutException)
        {
            node = null;
        }

        // Read again after the query: a remembered entity that was just started may have written since.
        if (state is not null) history = await journal.ReadAsync(persistenceId, eventLimit, cancellation);
        return new EntityResponse(
            kind.Name,
            id.ToString(),
            persistenceId,
            shard,
            node,
            phase,
            resourceExists,
            state is null ? null : JournalReader.ToJson(state),
            stateError,
            history.HighestSequenceNr,
            history.Events,
            history.Truncated);
    }
}

/// <param name="Name">The shard region's type name, which is also how the command line names the kind.</param>
/// <param name="ResourceKind">The resource the entity carries out.</param>
/// <param name="ResourcePhase">The resource's status phase; null when the resource does not exist.</param>
public sealed record EntityKind(
    string Name,
    IReadOnlyList<string> Aliases,
    string ResourceKind,
    Func<ResourceId, string> PersistenceId,
    Func<ResourceId, object> StateQuery,
    Func<IResourceStore, ResourceId, CancellationToken, Task<string?>> ResourcePhase);
