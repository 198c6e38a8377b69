using System.Collections.Concurrent;
using Archiver.Actors.Ports;
using Archiver.Actors.Reporting;
using Archiver.Actors.Watching;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Archivers;
using Archiver.Messages.Resources;
using Archiver.Messages.Validation;
using k8s.Models;

namespace Archiver.Actors.Archivers;

/// <summary>The I/O of an archiver's reconcile: reading the world, creating ops requests, writing status and finalizers.</summary>
internal sealed class ArchiverEffects(IResourceStore store, ResourceCache cache, IStorageJanitor janitor, IFullBackupRunner backups)
{
    /// <summary>
    /// How long a reconcile waits for the node's cache to hold the change that prompted it; past that it goes ahead
    /// with what the cache holds, and the next change or resync sets it right.
    /// </summary>
    private static readonly TimeSpan CatchUp = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Reads from the node's cache only what the archiver decides on: the databases of the namespaces it selects
    /// that match its selector, the databases and ops requests naming it (the owner index), and whatever it
    /// remembers acting on. Never a scan of every database or ops request.
    /// </summary>
    public async Task<ArchiverWorld> LoadAsync(ArchiverState state, IReadOnlyCollection<ObservedVersion> after, CancellationToken cancellation)
    {
        await cache.Synced.WaitAsync(cancellation);
        foreach (var mark in after) await cache.WaitForAsync(mark, CatchUp, cancellation);
        var id = state.Id;
        var archiver = cache.Get<MongoDBArchiver>(id);
        var spec = archiver?.Spec;
        var storageRef = spec?.BackupStorage?.Ref;
        var retentionRef = spec?.RetentionPolicy;
        var storage = storageRef is null ? null : cache.Get<BackupStorage>(new ResourceId(string.IsNullOrEmpty(storageRef.Namespace) ? id.Namespace : storageRef.Namespace, storageRef.Name));
        var retention = retentionRef is null ? null : cache.Get<RetentionPolicy>(new ResourceId(retentionRef.NamespaceOr(id.Namespace), retentionRef.Name));

        // Namespace labels matter only to a Selector; the store is asked for them only then (no watch reports them).
        var byLabels = new[] { spec?.Databases?.Namespaces, storage?.Spec?.UsagePolicy?.AllowedNamespaces, retention?.Spec?.UsagePolicy?.AllowedNamespaces }
            .Any(n => n?.From == NamespaceFrom.Selector);
        var namespaces = byLabels ? await store.ListNamespacesAsync(cancellation) : [];

        var databases = new Dictionary<ResourceId, MongoDB>();
        foreach (var db in spec is null ? [] : Selected(id, spec.Databases, namespaces)) databases[ResourceId.Of(db)] = db;
        foreach (var db in cache.OwnedBy<MongoDB>(id)) databases.TryAdd(ResourceId.Of(db), db);
        foreach (var dbId in state.Databases.Keys)
        {
            if (!databases.ContainsKey(dbId) && cache.Get<MongoDB>(dbId) is { } db) databases[dbId] = db;
        }

        var requests = cache.OwnedBy<MongoDBOpsRequest>(id).ToDictionary(ResourceId.Of);
        foreach (var record in state.Databases.Values)
        {
            if (!requests.ContainsKey(record.OpsRequestId) && cache.Get<MongoDBOpsRequest>(record.OpsRequestId) is { } request) requests[record.OpsRequestId] = request;
        }

        return new ArchiverWorld(archiver, [.. databases.Values], namespaces, cache.List<MongoDBArchiver>(), requests, storage, retention)
        {
            DriverRefusal = archiver?.Spec is not null ? backups.Refuses(archiver.FullBackupDriver()) : null,
            ShardedRefusal = backups.RefusesSharded(archiver?.FullBackupDriver() ?? FullBackupDriver.CSISnapshotter),
            StandaloneRefusal = backups.RefusesStandalone(),
        };
    }

    private const int ConcurrentCreates = 16;

    /// <summary>
    /// Creates the ops requests, then the rest only if needed: a reconcile that changes nothing (most, while a fleet
    /// is being configured) makes no store call at all, judged against the archiver as the cache holds it.
    /// </summary>
    /// <exception cref="ResourceForbiddenException">RBAC refused a write (after the status says which), to be tried again.</exception>
    public async Task ApplyAsync(ResourceId id, MongoDBArchiver? cached, ArchiverPlan plan, CancellationToken cancellation)
    {
        var refused = new ConcurrentQueue<string>();
        // A spec change issues one request per database at once: several in flight, so a hundred creates against an
        // API server take a few round trips, not a hundred. Each is independent of the others.
        await Parallel.ForEachAsync(
            plan.ToCreate,
            new ParallelOptions { MaxDegreeOfParallelism = ConcurrentCreates, CancellationToken = cancellation },
            async (issued, token) =>
            {
                try
                {
                    await store.CreateAsync(OpsRequestResource(issued), token);
                }
                catch (ResourceConflictException)
                {
                    // Created before a crash: the same name is the same request.
                }
                catch (ResourceForbiddenException e)
                {
                    // Still issued (persisted): every reconcile creates it again until RBAC allows it (ArchiverPlanner).
                    refused.Enqueue($"creating ops request {issued.OpsRequestId}: {e.Message}");
                }
            });
        if (!refused.IsEmpty) plan = plan with { Conditions = ArchiverConditions.Refused(plan.Conditions, [.. refused]) };

        var unchanged = cached is not null && plan.PrefixesToWipe.Count == 0 && !plan.FinishDeletion
            && (cached.Metadata.DeletionTimestamp is not null || cached.Metadata.Finalizers?.Contains(ArchiverPlanner.Finalizer) == true)
            && StatusWrites.Same(cached.Status, StatusFor(cached, plan));
        if (!unchanged)
        {
            try
            {
                await WriteAsync(id, plan, cancellation);
            }
            catch (ResourceForbiddenException e)
            {
                refused.Enqueue(e.Message);
            }
        }

        // A failed reconcile, so the actor tries again with backoff and logs it.
        if (!refused.IsEmpty) throw new ResourceForbiddenException(string.Join("; ", refused.Distinct()));
    }

    private async Task WriteAsync(ResourceId id, ArchiverPlan plan, CancellationToken cancellation)
    {
        var archiver = await store.GetAsync<MongoDBArchiver>(id, cancellation);
        if (archiver is null) return;
        foreach (var prefix in plan.PrefixesToWipe) await janitor.WipeAsync(ArchiverStorage(archiver), prefix, cancellation);
        // Each write is decided again on the archiver as stored if someone else wrote it meanwhile (ResourceUpdates).
        if (plan.FinishDeletion)
        {
            await store.UpdateAsync<MongoDBArchiver>(id, a => WithoutFinalizer(a, archiver.Metadata.Uid), cancellation, archiver);
            return;
        }

        archiver = await store.UpdateAsync<MongoDBArchiver>(id, WithFinalizer, cancellation, archiver) ?? archiver;
        await store.UpdateStatusAsync<MongoDBArchiver>(id, a =>
        {
            var status = StatusFor(a, plan);
            return StatusWrites.Same(a.Status, status) ? null : a with { Status = status };
        }, cancellation, archiver);
    }

    /// <summary>The archiver holding its finalizer, or null if it has it (or is being deleted: none may be added then).</summary>
    private static MongoDBArchiver? WithFinalizer(MongoDBArchiver archiver)
    {
        var finalizers = archiver.Metadata.Finalizers ?? [];
        if (archiver.Metadata.DeletionTimestamp is not null || finalizers.Contains(ArchiverPlanner.Finalizer)) return null;
        archiver.Metadata.Finalizers = [.. finalizers, ArchiverPlanner.Finalizer];
        return archiver;
    }

    /// <summary>The archiver whose deletion was carried out, releasing it; null if it is another one of the name or has no finalizer.</summary>
    private static MongoDBArchiver? WithoutFinalizer(MongoDBArchiver archiver, string? uid)
    {
        var finalizers = archiver.Metadata.Finalizers ?? [];
        if (archiver.Metadata.Uid != uid || !finalizers.Contains(ArchiverPlanner.Finalizer)) return null;
        archiver.Metadata.Finalizers = [.. finalizers.Where(f => f != ArchiverPlanner.Finalizer)];
        return archiver;
    }

    private static MongoDBArchiverStatus StatusFor(MongoDBArchiver archiver, ArchiverPlan plan) => new()
    {
        Phase = plan.Phase,
        ObservedGeneration = archiver.Metadata.Generation,
        Conditions = StatusWrites.Carry(archiver.Status?.Conditions, plan.Conditions),
        DatabaseRefs = plan.DatabaseRefs,
        Databases = plan.DatabaseRefs.Count,
    };

    /// <summary>The databases the selection reaches: one namespace (Same), all (All), or each whose labels match (Selector).</summary>
    private IEnumerable<MongoDB> Selected(ResourceId id, DatabaseSelection? selection, IReadOnlyList<NamespaceInfo> namespaces) =>
        (selection?.Namespaces?.From ?? NamespaceFrom.Same) switch
        {
            NamespaceFrom.All => cache.List<MongoDB>(null, selection?.Selector),
            NamespaceFrom.Selector => namespaces
                .Where(n => LabelSelectors.Matches(selection!.Namespaces!.Selector, n.Labels.ToDictionary(l => l.Key, l => l.Value)))
                .SelectMany(n => cache.List<MongoDB>(n.Name, selection!.Selector)),
            _ => cache.List<MongoDB>(id.Namespace, selection?.Selector),
        };

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
