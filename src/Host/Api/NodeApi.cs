using Akka.Actor;
using Akka.Hosting;
using Archiver.Actors.Hosting;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Messages.Resources;
using Archiver.Host.Admission;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;
using Archiver.Messages.Validation;
using Archiver.Storage.Catalog;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Archiver.Host.Api;

/// <summary>
/// The node's API under <c>/api/v1</c>: what <c>apply</c>, <c>get</c>, <c>delete</c>, <c>windows</c>, <c>plan</c>,
/// <c>backup</c> and <c>restore</c> call. Failures answer with <see cref="ApiError"/> and a status a script can act
/// on: 400 bad input, 404 unknown resource, 409 conflict, 422 a target that cannot be reached, 503 the cluster did
/// not answer in time.
/// </summary>
public static class NodeApi
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    public static void Map(IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1");
        api.MapPost("/apply", ApplyAsync);
        api.MapGet("/resources/{kind}", ListAsync);
        api.MapGet("/resources/{kind}/{ns}/{name}", GetAsync);
        api.MapDelete("/resources/{kind}/{ns}/{name}", DeleteAsync);
        api.MapGet("/resources/{kind}/{ns}/{name}/events", EventsAsync);
        api.MapGet("/databases/{ns}/{name}/state", StateAsync);
        api.MapGet("/databases/{ns}/{name}/windows", WindowsAsync);
        api.MapGet("/databases/{ns}/{name}/plan", PlanAsync);
        api.MapPost("/databases/{ns}/{name}/backup", BackupAsync);
        api.MapPost("/databases/{ns}/{name}/restore", RestoreAsync);
    }

    private static async Task<IResult> ApplyAsync(HttpRequest request, IResourceStore store, DatabaseAdmission admission, Node.NodeSettings settings, CancellationToken cancellation)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(cancellation);
        var read = ManifestReader.Read(text);
        // A node in a cluster refuses what it could not use: a local storage it has not mounted (docs/cluster.md).
        if (settings.Kubernetes is not null) read = read.InCluster();
        if (!read.IsValid)
        {
            var errors = read.Errors.Select(e => e.Line is { } line ? $"{e} (line {line})" : e.ToString()).ToList();
            return Results.BadRequest(new ApiError($"{errors.Count} error(s) in the manifests; nothing was applied", errors));
        }

        var defaultNamespace = request.Query["namespace"].FirstOrDefault() ?? "default";
        foreach (var resource in read.Resources)
        {
            if (string.IsNullOrEmpty(resource.Metadata.NamespaceProperty)) resource.Metadata.NamespaceProperty = defaultNamespace;
        }

        // As the webhook refuses it in a cluster: a new database to be restored from a history its spec cannot take.
        var refused = await admission.RefusedRestoresAsync(read.Resources, cancellation);
        if (refused.Count > 0)
        {
            return Results.Json(new ApiError($"{refused.Count} database(s) cannot be restored as asked; nothing was applied", refused), statusCode: StatusCodes.Status422UnprocessableEntity);
        }

        var results = new List<ApplyResult>();
        foreach (var resource in read.Resources)
        {
            var kind = ResourceKinds.Find(resource.GetType())!;
            // The mutator step, as the webhook runs it in a cluster: a new database gets the archiver that selects it.
            var action = await ResourceOperations.For(kind).ApplyAsync(store, resource, cancellation, async (created, token) =>
                created is MongoDBResource db ? await admission.MutateAsync(db, token) : created);
            results.Add(new ApplyResult(kind.Kind, resource.Metadata.NamespaceProperty, resource.Metadata.Name, action));
        }

        return Results.Ok(results);
    }

    private static async Task<IResult> ListAsync(string kind, HttpRequest request, IResourceStore store, CancellationToken cancellation)
    {
        if (FindKind(kind) is not { } found) return UnknownKind(kind);
        var items = await ResourceOperations.For(found).ListAsync(store, request.Query["namespace"].FirstOrDefault(), cancellation);
        return Results.Text(ManifestWriter.ToJson(items), "application/json");
    }

    private static async Task<IResult> GetAsync(string kind, string ns, string name, IResourceStore store, CancellationToken cancellation)
    {
        if (FindKind(kind) is not { } found) return UnknownKind(kind);
        return await ResourceOperations.For(found).GetAsync(store, new ResourceId(ns, name), cancellation) is { } resource
            ? Results.Text(ManifestWriter.ToJson(resource), "application/json")
            : NotFound($"{found.Kind} {ns}/{name} not found");
    }

    /// <summary>The Events about the object (this incarnation of it: by its uid), oldest first, as <c>kubectl describe</c> lists them.</summary>
    private static async Task<IResult> EventsAsync(string kind, string ns, string name, IResourceStore store, IEventRecorder events, CancellationToken cancellation)
    {
        if (FindKind(kind) is not { } found) return UnknownKind(kind);
        if (await ResourceOperations.For(found).GetAsync(store, new ResourceId(ns, name), cancellation) is not { } resource) return NotFound($"{found.Kind} {ns}/{name} not found");
        return Results.Ok(new EventsResponse(await events.ListAsync(EventSubject.Of(resource), cancellation)));
    }

    private static async Task<IResult> DeleteAsync(string kind, string ns, string name, IResourceStore store, CancellationToken cancellation)
    {
        if (FindKind(kind) is not { } found) return UnknownKind(kind);
        return await ResourceOperations.For(found).DeleteAsync(store, new ResourceId(ns, name), cancellation)
            ? Results.Ok(new ApplyResult(found.Kind, ns, name, ApplyAction.Configured))
            : NotFound($"{found.Kind} {ns}/{name} not found");
    }

    private static async Task<IResult> StateAsync(string ns, string name, IResourceStore store, ActorRegistry registry, CancellationToken cancellation)
    {
        var id = new ResourceId(ns, name);
        if (await store.GetAsync<MongoDBResource>(id, cancellation) is null) return NotFound($"MongoDB {id} not found");
        var state = await registry.Get<DatabaseRegion>().Ask<DatabaseState>(new GetDatabaseState(id), AskTimeout, cancellation);
        return Results.Ok(state);
    }

    private static async Task<IResult> WindowsAsync(string ns, string name, IResourceStore store, ActorRegistry registry, CancellationToken cancellation)
    {
        var (repository, problem) = await RepositoryOfAsync(store, new ResourceId(ns, name), cancellation);
        if (problem is not null) return problem;
        var (storage, prefix) = repository!.Value;
        var reply = await registry.Get<StorageIndexRegion>().Ask<RecoverableWindowsReply>(new GetRecoverableWindows(storage, prefix), AskTimeout, cancellation);
        var uid = (await store.GetAsync<MongoDBResource>(new ResourceId(ns, name), cancellation))?.Metadata.Uid;
        var own = reply.Timelines?.Where(t => t.Owner == uid).Select(t => (uint?)t.Id).Min();
        return reply.Error is { } error
            ? Results.Json(new ApiError($"cannot read the repository {storage}:{prefix}: {error}"), statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Ok(new WindowsResponse($"{ns}/{name}", storage.ToString(), prefix, reply.Windows, reply.Gaps, reply.Timelines, own));
    }

    private static async Task<IResult> PlanAsync(string ns, string name, HttpRequest request, IResourceStore store, ActorRegistry registry, CancellationToken cancellation)
    {
        var at = request.Query["at"].FirstOrDefault();
        if (!RecoveryTarget.TryParse(at, out var target, out var bad)) return Results.BadRequest(new ApiError($"at: {bad}"));
        var (repository, problem) = await RepositoryOfAsync(store, new ResourceId(ns, name), cancellation);
        if (problem is not null) return problem;
        var (storage, prefix) = repository!.Value;
        var reply = await registry.Get<StorageIndexRegion>().Ask<RecoveryPlanReply>(new PlanRecovery(storage, prefix, target.Format()), AskTimeout, cancellation);
        if (reply.Error is { } error) return Results.Json(new ApiError($"cannot read the repository {storage}:{prefix}: {error}"), statusCode: StatusCodes.Status503ServiceUnavailable);
        var response = new PlanResponse($"{ns}/{name}", storage.ToString(), prefix, at!, reply.Plan, reply.Refusal);
        return reply.Plan is not null
            ? Results.Ok(response)
            : Results.Json(response with { Message = Describe(response) }, statusCode: StatusCodes.Status422UnprocessableEntity);
    }

    private static async Task<IResult> BackupAsync(string ns, string name, IResourceStore store, ActorRegistry registry, CancellationToken cancellation)
    {
        var id = new ResourceId(ns, name);
        if (await store.GetAsync<MongoDBResource>(id, cancellation) is not { } db) return NotFound($"MongoDB {id} not found");
        if (db.Spec?.Archiver?.Ref is null) return Results.Conflict(new ApiError($"MongoDB {id} has no archiver (spec.archiver.ref): nothing backs it up"));
        var answer = await registry.Get<DatabaseRegion>().Ask<string>(new TriggerBackup(id), AskTimeout, cancellation);
        return answer.StartsWith("refused", StringComparison.Ordinal)
            ? Results.Conflict(new ApiError($"MongoDB {id}: {answer}"))
            : Results.Ok(new BackupResponse(id.ToString(), answer));
    }

    private static async Task<IResult> RestoreAsync(string ns, string name, RestoreRequest body, IResourceStore store, CancellationToken cancellation)
    {
        var source = new ResourceId(ns, name);
        if (!RecoveryTarget.TryParse(body.At, out var requested, out var bad)) return Results.BadRequest(new ApiError($"at: {bad}"));
        if (requested is not { Kind: RecoveryTargetKind.Time, Exclusive: false, Time: { } time })
        {
            return Results.BadRequest(new ApiError("at: a restore into a new database takes a time (RFC 3339), as spec.init.archiver.recoveryTimeStamp does"));
        }

        ResourceId into;
        try
        {
            into = ResourceId.Parse(body.Into);
        }
        catch (FormatException)
        {
            return Results.BadRequest(new ApiError($"into: '{body.Into}' is not namespace/name"));
        }

        if (body.Databases is { } databases)
        {
            try
            {
                RestoreSettings.ParseDatabaseMap(databases);
            }
            catch (FormatException e)
            {
                return Results.BadRequest(new ApiError($"databases: {e.Message}"));
            }
        }

        var (repository, problem) = await RepositoryOfAsync(store, source, cancellation);
        if (problem is not null) return problem;
        var (storage, prefix) = repository!.Value;
        var sourceDb = (await store.GetAsync<MongoDBResource>(source, cancellation))!;
        var annotations = new Dictionary<string, string>();
        if (body.ConnectionSecret is { Length: > 0 } secret) annotations[RestoreSettings.ConnectionSecretAnnotation] = secret;
        if (body.Databases is { Length: > 0 } map) annotations[RestoreSettings.DatabasesAnnotation] = map;
        if (body.NoUsersAndRoles) annotations[RestoreSettings.UsersAndRolesAnnotation] = "false";
        var target = new MongoDBResource
        {
            ApiVersion = MongoDBResource.ApiVersionName,
            Kind = MongoDBResource.KindName,
            Metadata = new V1ObjectMeta { Name = into.Name, NamespaceProperty = into.Namespace, Annotations = annotations },
            Spec = new MongoDBSpec
            {
                // The new database is the source's kind of replica set (or sharded cluster); its own archiver is whatever selects it.
                Other = sourceDb.Spec?.Other?.Where(o => o.Key is "version" or "replicas" or "replicaSet" or "storageType" or "shardTopology").ToDictionary(),
                Init = new MongoDBInit
                {
                    Archiver = new ArchiverRecovery
                    {
                        RecoveryTimeStamp = time,
                        Repository = new ObjectRef { Name = storage.Name, Namespace = storage.Namespace },
                        Prefix = prefix,
                    },
                },
            },
        };
        try
        {
            await store.CreateAsync(target, cancellation);
        }
        catch (ResourceConflictException)
        {
            return Results.Conflict(new ApiError($"into: MongoDB {into} already exists; a restore creates a new database"));
        }

        return Results.Accepted($"/api/v1/resources/mongodb/{into.Namespace}/{into.Name}", new RestoreResponse(source.ToString(), into.ToString(), time, storage.ToString(), prefix));
    }

    private static async Task<((ResourceId Storage, string Prefix)? Repository, IResult? Problem)> RepositoryOfAsync(IResourceStore store, ResourceId database, CancellationToken cancellation)
    {
        if (await store.GetAsync<MongoDBResource>(database, cancellation) is not { } db) return (null, NotFound($"MongoDB {database} not found"));
        if (db.Spec?.Archiver?.Ref is not { } reference)
        {
            return (null, Results.Conflict(new ApiError($"MongoDB {database} has no archiver (spec.archiver.ref): it has no archived history")));
        }

        var archiverId = new ResourceId(reference.NamespaceOr(database.Namespace), reference.Name);
        if (await store.GetAsync<MongoDBArchiver>(archiverId, cancellation) is not { } archiver)
        {
            return (null, NotFound($"MongoDB {database}: its archiver {archiverId} not found"));
        }

        return ((ArchiverResources.StorageId(archiver), ArchiverResources.Directory(archiver, database)), null);
    }

    private static string Describe(PlanResponse response)
    {
        var refusal = response.Refusal;
        var nearest = (refusal?.EarliestRecoverable, refusal?.LatestRecoverable) switch
        {
            ({ } from, { } to) => $"; recoverable from {Rfc3339.Format(from)} to {Rfc3339.Format(to)}",
            ({ } from, null) => $"; recoverable from {Rfc3339.Format(from)}",
            (null, { } to) => $"; recoverable up to {Rfc3339.Format(to)}",
            _ => "",
        };
        return $"MongoDB {response.Database} cannot be restored to {response.Target}: {refusal?.Message ?? "no plan"} ({refusal?.Reason}){nearest}";
    }

    private static ResourceKind? FindKind(string name) => ResourceKinds.FindByName(name) ?? (name.EndsWith('s') ? ResourceKinds.FindByName(name[..^1]) : null);

    private static IResult UnknownKind(string kind) =>
        Results.BadRequest(new ApiError($"'{kind}' is not a kind this node serves; known kinds: {ResourceKinds.Describe()}"));

    private static IResult NotFound(string message) => Results.NotFound(new ApiError(message));
}
