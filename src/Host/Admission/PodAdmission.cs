using Archiver.Actors.Databases;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Kubernetes;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s.Models;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Admission;

/// <summary>
/// Reads what <see cref="SidecarInjection.Decide"/> decides on for a pod being created: its database (by KubeDB's
/// labels), the archiver the database names, that archiver's storage and the database's BackupConfiguration. All of
/// them kinds the node reads already (deploy/statefulset/rbac.yaml), so the pods webhook needs no new permission.
/// </summary>
public sealed class PodAdmission(IResourceStore store, KubernetesWorkloadsOptions options)
{
    public async Task<InjectionDecision> DecideAsync(V1Pod pod, string @namespace, CancellationToken cancellation)
    {
        if (SidecarInjection.DatabaseOf(pod, @namespace) is not { } id) return InjectionDecision.Unchanged("not a KubeDB MongoDB pod");
        if (await store.GetAsync<MongoDBResource>(id, cancellation) is not { } database) return InjectionDecision.Unchanged($"MongoDB {id} does not exist");
        if (DatabaseMutator.ArchiverOf(database) is not { } archiverId) return InjectionDecision.Unchanged($"MongoDB {id} names no archiver");
        var archiver = await store.GetAsync<MongoDBArchiver>(archiverId, cancellation);
        var storage = archiver?.Spec?.BackupStorage?.Ref is null ? null : await store.GetAsync<BackupStorage>(ArchiverResources.StorageId(archiver), cancellation);
        var configuration = await store.GetAsync<BackupConfiguration>(new ResourceId(id.Namespace, ArchiverResources.BackupConfigurationName(id)), cancellation);
        return SidecarInjection.Decide(pod, database, archiver, storage, configuration, options);
    }
}
