using Akka.Actor;
using Akka.Hosting;
using Archiver.Actors.Ports;
using Archiver.Host.Api;
using Archiver.Messages.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Archiver.Host.Inspection;

/// <summary>
/// The node's inspection endpoint under <c>/inspect</c>, what <c>archiver inspect</c> and pbm-scripts read:
/// cluster members, shard placement, one entity's state and history, the actor tree, raw journal streams and
/// the ops requests' ages. Everything is read-only. It is served by the node's own Kestrel, so it is on loopback
/// unless the node is bound elsewhere, where the node's token guards it like the API.
/// </summary>
public static class InspectionEndpoints
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    public const int DefaultEntityEvents = 100;
    public const int DefaultJournalEvents = 1000;
    public const int MaxEvents = 100_000;

    public static void Map(IEndpointRouteBuilder app)
    {
        var members = new ClusterMembers();
        var lifetime = app.ServiceProvider.GetRequiredService<IHostApplicationLifetime>();
        // The actor system is up once the host has started; Up times are recorded from then on.
        lifetime.ApplicationStarted.Register(() => members.Watch(app.ServiceProvider.GetRequiredService<ActorSystem>()));

        var inspect = app.MapGroup("/inspect");
        inspect.MapGet("/", () => Results.Ok(new
        {
            endpoints = new[]
            {
                "/inspect/members",
                "/inspect/shards",
                "/inspect/entity/{kind}/{namespace}/{name}?events=N",
                "/inspect/actors?depth=N&path=/system/sharding",
                "/inspect/journal",
                "/inspect/journal/{persistenceId}?limit=N (or ?id=)",
                "/inspect/opsrequests?namespace=NS",
            },
            entityKinds = EntityInspector.Kinds.Select(k => k.Name),
        }));
        inspect.MapGet("/members", (ActorSystem system) => Results.Ok(members.Snapshot(system)));
        inspect.MapGet("/shards", async (ActorRegistry registry, CancellationToken cancellation) =>
            Results.Ok(await ShardDistribution.ReadAsync(registry, AskTimeout, cancellation)));
        inspect.MapGet("/entity/{kind}/{ns}/{name}", EntityAsync);
        inspect.MapGet("/actors", (ActorSystem system, int? depth, string? path) =>
        {
            var tree = ActorTree.Read(system, depth ?? ActorTree.DefaultDepth, path);
            return tree.Roots.Count == 0 ? Results.NotFound(new ApiError($"no actor at {path} on this node")) : Results.Ok(tree);
        });
        inspect.MapGet("/journal", async (ActorSystem system, string? id, int? limit, CancellationToken cancellation) =>
            string.IsNullOrEmpty(id)
                ? Results.Ok(await new JournalReader(system).PersistenceIdsAsync(cancellation))
                : await JournalAsync(system, id, limit, cancellation));
        // Persistence ids hold slashes (opsrequest-demo/mg-rs-configure): the route takes the rest of the path.
        inspect.MapGet("/journal/{**persistenceId}", (ActorSystem system, string persistenceId, int? limit, CancellationToken cancellation) =>
            JournalAsync(system, persistenceId, limit, cancellation));
        inspect.MapGet("/opsrequests", async (IResourceStore store, TimeProvider clock, string? @namespace, CancellationToken cancellation) =>
            Results.Ok(await OpsRequestOverview.ReadAsync(store, @namespace, clock, cancellation)));
    }

    private static async Task<IResult> EntityAsync(
        string kind, string ns, string name, int? events, IResourceStore store, ActorRegistry registry, ActorSystem system, CancellationToken cancellation)
    {
        if (EntityInspector.FindKind(kind) is not { } found)
        {
            return Results.BadRequest(new ApiError($"'{kind}' is not an entity kind; entities are {EntityInspector.DescribeKinds()}"));
        }

        var id = new ResourceId(ns, name);
        var entity = await EntityInspector.InspectAsync(found, id, Limit(events, DefaultEntityEvents), store, registry, new JournalReader(system), AskTimeout, cancellation);
        return entity is null
            ? Results.NotFound(new ApiError($"no {found.Name} entity {id}: there is no {found.ResourceKind} {id} and nothing in the journal under {found.PersistenceId(id)}"))
            : Results.Ok(entity);
    }

    private static async Task<IResult> JournalAsync(ActorSystem system, string persistenceId, int? limit, CancellationToken cancellation)
    {
        var read = await new JournalReader(system).ReadAsync(persistenceId, Limit(limit, DefaultJournalEvents), cancellation);
        return read.HighestSequenceNr == 0
            ? Results.NotFound(new ApiError($"the journal holds no events for persistence id '{persistenceId}' (archiver inspect journal lists the ids)"))
            : Results.Ok(read);
    }

    private static int Limit(int? asked, int fallback) => Math.Clamp(asked ?? fallback, 1, MaxEvents);
}
