using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Archivers;
using Archiver.Messages.Resources;
using k8s.Models;

namespace Archiver.Actors.Archivers;

/// <summary>The I/O of an archiver's reconcile: reading the world, creating ops requests, writing status and finalizers.</summary>
internal sealed class ArchiverEffects(IResourceStore store, IStorageJanitor janitor)
{
    public async Task<ArchiverWorld> LoadAsync(ResourceId id, CancellationToken cancellation)
    {
        var archiver = await store.GetAsync<MongoDBArchiver>(id, cancellation);
        var storageRef = archiver?.Spec?.BackupStorage?.Ref;
        var retentionRef = archiver?.Spec?.RetentionPolicy;
        var storage = storageRef is null ? null : await store.GetAsync<BackupStorage>(new ResourceId(string.IsNullOrEmpty(storageRef.Namespace) ? id.Namespace : storageRef.Namespace, storageRef.Name), cancellation);
        var retention = retentionRef is null ? null : await store.GetAsync<RetentionPolicy>(new ResourceId(retentionRef.NamespaceOr(id.Namespace), retentionRef.Name), cancellation);
        var requests = await store.ListAsync<MongoDBOpsRequest>(cancellation: cancellation);
        return new ArchiverWorld(
            archiver,
            await store.ListAsync<MongoDB>(cancellation: cancellation),
            await store.ListNamespacesAsync(cancellation),
            await store.ListAsync<MongoDBArchiver>(cancellation: cancellation),
            requests.ToDictionary(ResourceId.Of),
            storage,
            retention);
    }

    public async Task ApplyAsync(ResourceId id, ArchiverPlan plan, CancellationToken cancellation)
    {
        foreach (var issued in plan.ToCreate)
        {
            try
            {
                await store.CreateAsync(OpsRequestResource(issued), cancellation);
            }
            catch (ResourceConflictException)
            {
                // Created before a crash: the same name is the same request.
            }
        }

        var archiver = await store.GetAsync<MongoDBArchiver>(id, cancellation);
        if (archiver is null) return;
        foreach (var prefix in plan.PrefixesToWipe) await janitor.WipeAsync(ArchiverStorage(archiver), prefix, cancellation);
        var finalizers = archiver.Metadata.Finalizers ?? [];
        if (plan.FinishDeletion)
        {
            archiver.Metadata.Finalizers = [.. finalizers.Where(f => f != ArchiverPlanner.Finalizer)];
            await store.ReplaceAsync(archiver, cancellation);
            return;
        }

        if (archiver.Metadata.DeletionTimestamp is null && !finalizers.Contains(ArchiverPlanner.Finalizer))
        {
            archiver.Metadata.Finalizers = [.. finalizers, ArchiverPlanner.Finalizer];
            archiver = await store.ReplaceAsync(archiver, cancellation);
        }

        archiver.Metadata.ResourceVersion = null;
        await store.ReplaceStatusAsync(archiver with
        {
            Status = new MongoDBArchiverStatus
            {
                Phase = plan.Phase,
                ObservedGeneration = archiver.Metadata.Generation,
                Conditions = plan.Conditions,
                DatabaseRefs = plan.DatabaseRefs,
            },
        }, cancellation);
    }

    private static ResourceId ArchiverStorage(MongoDBArchiver archiver) => OpsRequests.ArchiverResources.StorageId(archiver);

    private static MongoDBOpsRequest OpsRequestResource(OpsRequestIssued issued) => new()
    {
        ApiVersion = MongoDBOpsRequest.ApiVersionName,
        Kind = MongoDBOpsRequest.KindName,
        Metadata = new V1ObjectMeta
        {
            Name = issued.OpsRequestId.Name,
            NamespaceProperty = issued.OpsRequestId.Namespace,
            Labels = new Dictionary<string, string> { [OpsRequests.ArchiverResources.ArchiverLabel] = $"{issued.ArchiverId.Namespace}.{issued.ArchiverId.Name}" },
            Annotations = issued.SpecHash is null ? null : new Dictionary<string, string> { [ApiGroups.SpecHashAnnotation] = issued.SpecHash },
        },
        Spec = new MongoDBOpsRequestSpec
        {
            Type = OpsRequestType.Backup,
            DatabaseRef = new DatabaseRef { Name = issued.DatabaseId.Name },
            Archiver = new ArchiverOperation
            {
                Operation = issued.Operation,
                Ref = new ObjectRef { Name = issued.ArchiverId.Name, Namespace = issued.ArchiverId.Namespace },
            },
        },
    };
}
