using System.Text.Json;
using System.Text.Json.Nodes;
using Archiver.Messages.Manifests;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Archiver.Host.Admission;

/// <summary>
/// <c>POST /mutate/mongodb</c>: the mutating admission webhook for KubeDB's MongoDB resources (CREATE), served on the
/// node's webhook port over TLS (<c>--webhook-port</c>, <c>--webhook-cert-dir</c>; deploy/statefulset/webhook.yaml).
/// It refuses two kinds of database, with 422 naming the field: one created to be restored (<c>spec.init.archiver</c>)
/// from a history its spec cannot take, when the storage's index says so at once
/// (<see cref="DatabaseAdmission.RestoreProblemAsync"/>: a sharded cluster's history into a replica set, or into
/// another number of shards); and, on a node that refuses standalones by their spec (a cluster's), a standalone that
/// asks to be archived or restored (<c>spec.archiver</c>, <c>spec.init.archiver</c>). A standalone merely selected by
/// an archiver is let in unchanged, and its archiver says why it is not archived.
/// When it cannot decide (a store error, an object it cannot read) it allows the creation unchanged with a warning,
/// and the archiver's planner configures the database later through an ops request, as for any database created
/// before its archiver.
/// </summary>
public static class MongoDBMutatingWebhook
{
    public const string Path = "/mutate/mongodb";

    /// <summary>
    /// Serves the webhook listener apart from the API: there only <see cref="Path"/>, <see cref="PodMutatingWebhook.Path"/>, <see cref="ClaimMutatingWebhook.Path"/> and <see cref="ArchiverValidatingWebhook.Path"/> answer (the API server presents
    /// no bearer token, and the token-guarded API is never reachable through this listener). Told by TLS: the webhook
    /// listener is the node's only HTTPS one, from its first connection (a port number is known only once bound,
    /// and the API server's Host header names the Service's port, not the pod's).
    /// </summary>
    public static void Map(WebApplication app) =>
        app.MapWhen(context => context.Request.IsHttps, webhook => webhook.Run(HandleAsync));

    internal static async Task HandleAsync(HttpContext http)
    {
        // The path names the webhook; each answers from the request and the services it reads.
        Func<string, AdmissionRequest, IServiceProvider, CancellationToken, Task<AdmissionResponse>>? respond = http.Request.Path.Value switch
        {
            Path => (uid, request, services, cancellation) => RespondAsync(uid, request, services.GetRequiredService<DatabaseAdmission>(), Logger(services, typeof(MongoDBMutatingWebhook)), cancellation),
            PodMutatingWebhook.Path => (uid, request, services, cancellation) => PodMutatingWebhook.RespondAsync(uid, request, services.GetRequiredService<PodAdmission>(), Logger(services, typeof(PodMutatingWebhook)), cancellation),
            ClaimMutatingWebhook.Path => (uid, request, services, cancellation) => ClaimMutatingWebhook.RespondAsync(uid, request, services.GetRequiredService<ClaimAdmission>(), Logger(services, typeof(ClaimMutatingWebhook)), cancellation),
            ArchiverValidatingWebhook.Path => (uid, request, _, _) => Task.FromResult(ArchiverValidatingWebhook.Respond(uid, request)),
            _ => null,
        };
        if (!HttpMethods.IsPost(http.Request.Method) || respond is null)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var cancellation = http.RequestAborted;
        AdmissionReview? review;
        try
        {
            review = await JsonSerializer.DeserializeAsync<AdmissionReview>(http.Request.Body, cancellationToken: cancellation);
        }
        catch (JsonException e)
        {
            await RefuseAsync(http, $"not an AdmissionReview: {e.Message}");
            return;
        }

        if (review?.Request is not { Uid: { Length: > 0 } uid } request)
        {
            await RefuseAsync(http, "not an AdmissionReview: request.uid is missing");
            return;
        }

        var response = await respond(uid, request, http.RequestServices, cancellation);
        await http.Response.WriteAsJsonAsync(new AdmissionReview { ApiVersion = AdmissionReview.ApiVersionV1, Kind = "AdmissionReview", Response = response }, cancellation);
    }

    /// <summary>A request its spec cannot take: refused as the API server refuses an invalid field.</summary>
    private static AdmissionResponse Refused(string uid, string? name, string field, string problem) => new()
    {
        Uid = uid,
        Allowed = false,
        Status = new AdmissionStatus
        {
            Code = 422,
            Reason = "Invalid",
            Message = $"{MongoDBResource.KindName} {name} is invalid: {field}: {problem}",
            Details = new AdmissionStatusDetails
            {
                Name = name,
                Group = "kubedb.com",
                Kind = MongoDBResource.KindName,
                Causes = [new AdmissionStatusCause { Field = field, Message = problem }],
            },
        },
    };

    private static ILogger Logger(IServiceProvider services, Type webhook) => services.GetRequiredService<ILoggerFactory>().CreateLogger(webhook);

    private static async Task RefuseAsync(HttpContext http, string message)
    {
        http.Response.StatusCode = StatusCodes.Status400BadRequest;
        await http.Response.WriteAsJsonAsync(new Api.ApiError(message));
    }

    internal static async Task<AdmissionResponse> RespondAsync(string uid, AdmissionRequest request, DatabaseAdmission admission, ILogger log, CancellationToken cancellation)
    {
        if (request.Operation != "CREATE" || request.Kind?.Kind != MongoDBResource.KindName || request.Object is not { ValueKind: JsonValueKind.Object } json)
        {
            return new AdmissionResponse { Uid = uid };
        }

        try
        {
            var database = (MongoDBResource)ResourceKinds.Find(typeof(MongoDBResource))!.FromJson(json.GetRawText());
            // On CREATE the object may leave its namespace to the request's.
            if (string.IsNullOrEmpty(database.Metadata.NamespaceProperty)) database.Metadata.NamespaceProperty = request.Namespace;
            if (admission.StandaloneProblem(database) is { } standalone && (database.Spec?.Archiver is not null || database.Spec?.Init?.Archiver is not null))
            {
                return Refused(uid, database.Metadata.Name, "spec.replicaSet", standalone);
            }

            var mutated = await admission.MutateAsync(database, cancellation);
            if (await admission.RestoreProblemAsync(mutated, cancellation) is { } problem)
            {
                return Refused(uid, database.Metadata.Name, "spec.init.archiver", problem);
            }

            if (ReferenceEquals(mutated, database)) return new AdmissionResponse { Uid = uid };
            var archiver = ManifestWriter.ToJsonNode(mutated)["spec"]!["archiver"]!.DeepClone();
            var patch = json.TryGetProperty("spec", out var spec) && spec.ValueKind == JsonValueKind.Object
                ? new JsonArray(new JsonObject { ["op"] = "add", ["path"] = "/spec/archiver", ["value"] = archiver })
                : new JsonArray(new JsonObject { ["op"] = "add", ["path"] = "/spec", ["value"] = new JsonObject { ["archiver"] = archiver } });
            return AdmissionResponse.Patched(uid, patch);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            // Whatever went wrong (an object it cannot read, a store that failed or timed out), creation goes on.
            log.LogWarning(e, "Mutating webhook: {Namespace}/{Uid} left as given", request.Namespace, uid);
            return new AdmissionResponse
            {
                Uid = uid,
                Warnings = [$"archiver: spec.archiver was not set at creation ({e.Message}); the archiver that selects this database configures it later"],
            };
        }
    }
}
