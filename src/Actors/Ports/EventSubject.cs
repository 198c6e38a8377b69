using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Ports;

/// <summary>
/// The object an Event is about, as a core/v1 Event's <c>involvedObject</c> names it. <c>kubectl describe</c> finds an
/// object's Events by kind, namespace, name and uid (k8s.io/kubectl pkg/describe/describe.go, <c>searchEvents</c>), so all
/// four are kept; the uid keeps an object's Events from showing on another one created later under its name.
/// </summary>
public sealed record EventSubject(string ApiVersion, string Kind, ResourceId Id, string? Uid)
{
    public static EventSubject Of(Resource resource) =>
        new(resource.ApiVersion, resource.Kind, ResourceId.Of(resource), resource.Metadata.Uid);

    public static EventSubject Database(ResourceId id, string? uid) => new(ApiGroups.KubeDbV1Alpha2, "MongoDB", id, uid);

    public static EventSubject OpsRequest(ResourceId id, string? uid) => new(ApiGroups.OpsV1Alpha1, "MongoDBOpsRequest", id, uid);

    public static EventSubject Archiver(ResourceId id, string? uid) => new(ApiGroups.ArchiverV1Alpha1, "MongoDBArchiver", id, uid);
}
