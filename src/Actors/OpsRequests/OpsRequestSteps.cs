using Archiver.Actors.Ports;
using Archiver.Messages.Configuration;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;

namespace Archiver.Actors.OpsRequests;

/// <summary>The steps of the seed's ops request, over the resource store and the archiving workloads.</summary>
public sealed class OpsRequestSteps(IResourceStore store, IArchivingWorkloads workloads, TimeProvider clock) : IOpsRequestSteps
{
    private static readonly TimeSpan RolloutPoll = TimeSpan.FromSeconds(1);

    public async Task<string> RunAsync(OpsRequestStep step, OpsRequestState request, CancellationToken cancellation)
    {
        var databaseId = request.DatabaseId ?? throw new PermanentStepException("the request names no database");
        return step switch
        {
            OpsRequestStep.CreateBackupConfiguration => await CreateBackupConfigurationAsync(request, databaseId, cancellation),
            OpsRequestStep.CreateSnapshot => await CreateSnapshotAsync(request, databaseId, cancellation),
            OpsRequestStep.StartArchiving => await StartArchivingAsync(request, databaseId, cancellation),
            OpsRequestStep.RestartPods => await RestartAsync(request, databaseId, cancellation),
            OpsRequestStep.UpdateDatabase => await UpdateDatabaseAsync(request, databaseId, cancellation),
            OpsRequestStep.DeleteBackupConfiguration => await DeleteBackupConfigurationAsync(databaseId, cancellation),
            OpsRequestStep.StopArchiving => await StopArchivingAsync(databaseId, cancellation),
            OpsRequestStep.ClearDatabase => await ClearDatabaseAsync(request, databaseId, cancellation),
            _ => throw new PermanentStepException($"unknown step {step}"),
        };
    }

    private async Task<string> CreateBackupConfigurationAsync(OpsRequestState request, ResourceId databaseId, CancellationToken cancellation)
    {
        var (archiver, hash) = await CurrentArchiverAsync(request, cancellation);
        var db = await RequireDatabaseAsync(databaseId, cancellation);
        // At creation, not waited for: this is what tells the pods webhook to give the pods KubeDB is about to make the
        // sidecar (SidecarInjection), so it must come before them.
        if (!request.AtCreation) Ready(db);
        var wanted = ArchiverResources.BackupConfiguration(archiver, db, hash);
        var id = ResourceId.Of(wanted);
        // The whole object is what the archiver wants, so it replaces whatever version is stored.
        if (await store.UpdateAsync<BackupConfiguration>(id, _ => wanted, cancellation) is not null) return $"updated BackupConfiguration {id}";
        await CreateTolerantAsync(wanted, cancellation);
        return $"created BackupConfiguration {id}";
    }

    private async Task<string> CreateSnapshotAsync(OpsRequestState request, ResourceId databaseId, CancellationToken cancellation)
    {
        var (archiver, hash) = await CurrentArchiverAsync(request, cancellation);
        var snapshot = Watching.SnapshotData.Mark(
            ArchiverResources.IncrementalSnapshot(archiver, databaseId, hash, clock.GetUtcNow()),
            ArchiverResources.StorageId(archiver),
            $"{ArchiverResources.Directory(archiver, databaseId)}/oplog/");
        var id = ResourceId.Of(snapshot);
        if (await store.GetAsync<Snapshot>(id, cancellation) is not null) return $"Snapshot {id} already exists";
        await CreateTolerantAsync(snapshot, cancellation);
        return $"created Snapshot {id}";
    }

    private async Task<string> StartArchivingAsync(OpsRequestState request, ResourceId databaseId, CancellationToken cancellation)
    {
        var (archiver, hash) = await CurrentArchiverAsync(request, cancellation);
        var db = NotBeingRestored(await RequireDatabaseAsync(databaseId, cancellation));
        var spec = ArchiverResources.Archiving(archiver, databaseId, hash, db.Metadata.Uid);
        await workloads.EnsureArchivingAsync(databaseId, spec, cancellation);
        return $"oplog archiving into {spec.Storage}:{spec.Prefix}";
    }

    private async Task<string> RestartAsync(OpsRequestState request, ResourceId databaseId, CancellationToken cancellation)
    {
        if (await store.GetAsync<MongoDB>(databaseId, cancellation) is null) return "database is gone; nothing to restart";
        await workloads.RestartAsync(databaseId, $"opsrequest:{request.Id}", cancellation);
        // Done when the pods run the new template, as KubeDB's own ops requests wait for their restarts: a request
        // that says Successful while the sidecar cannot start would be a lie. A pod that never gets ready ends the
        // attempt at the step's timeout, with the rollout's progress as the reason.
        while (true)
        {
            var rollout = await workloads.RolloutAsync(databaseId, cancellation);
            if (rollout.Done) return $"pods restarted ({rollout.Message})";
            try
            {
                await Task.Delay(RolloutPoll, clock, cancellation);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"pods not restarted in time: {rollout.Message}");
            }
        }
    }

    private async Task<string> UpdateDatabaseAsync(OpsRequestState request, ResourceId databaseId, CancellationToken cancellation)
    {
        var (archiver, hash) = await CurrentArchiverAsync(request, cancellation);
        var archiverId = ResourceId.Of(archiver);
        var read = NotBeingRestored(await RequireDatabaseAsync(databaseId, cancellation));
        // Decided again on the database as stored if it changed meanwhile (a status write, a user's edit).
        var updated = await store.UpdateAsync<MongoDB>(databaseId, db =>
        {
            NotBeingRestored(db);
            db.Metadata.Annotations = new Dictionary<string, string>(db.Metadata.Annotations ?? new Dictionary<string, string>()) { [ApiGroups.SpecHashAnnotation] = hash };
            return db with
            {
                Spec = (db.Spec ?? new MongoDBSpec()) with
                {
                    Archiver = new DatabaseArchiverRef { Pause = db.Spec?.Archiver?.Pause, Ref = new ObjectRef { Name = archiverId.Name, Namespace = archiverId.Namespace } },
                },
            };
        }, cancellation, read) ?? throw new PermanentStepException($"database {databaseId} does not exist");
        // The status of the database just configured, not of one created again under its name meanwhile.
        await store.UpdateStatusAsync<MongoDB>(databaseId, db => db.Metadata.Uid != updated.Metadata.Uid ? null : db with
        {
            Status = (db.Status ?? new MongoDBStatus()) with
            {
                Archiver = (db.Status?.Archiver ?? new DatabaseArchiverStatus()) with
                {
                    Phase = DatabaseArchiverPhase.Archiving,
                    ArchiverRef = new ObjectRef { Name = archiverId.Name, Namespace = archiverId.Namespace },
                    SpecHash = hash,
                },
            },
        }, cancellation, updated);
        return $"database configured with archiver {archiverId} ({hash})";
    }

    private async Task<string> DeleteBackupConfigurationAsync(ResourceId databaseId, CancellationToken cancellation)
    {
        var id = new ResourceId(databaseId.Namespace, ArchiverResources.BackupConfigurationName(databaseId));
        return await store.DeleteAsync<BackupConfiguration>(id, cancellation) ? $"deleted BackupConfiguration {id}" : $"BackupConfiguration {id} was already gone";
    }

    private async Task<string> StopArchivingAsync(ResourceId databaseId, CancellationToken cancellation)
    {
        // The incarnation the request was made for: a database deleted meanwhile was stopped by its own entity, and one
        // created again under its name is not this request's to stop.
        var db = await store.GetAsync<MongoDB>(databaseId, cancellation);
        await workloads.StopArchivingAsync(databaseId, db?.Metadata.Uid, cancellation);
        return "oplog archiving stopped";
    }

    private async Task<string> ClearDatabaseAsync(OpsRequestState request, ResourceId databaseId, CancellationToken cancellation)
    {
        var read = await store.GetAsync<MongoDB>(databaseId, cancellation);
        if (read is null) return "database is gone";
        // An archiver deleted with WipeOut empties the repository next: the windows it held are no longer recoverable.
        var wiping = request.ArchiverId is { } archiverId && await store.GetAsync<MongoDBArchiver>(archiverId, cancellation) is
            { Metadata.DeletionTimestamp: not null, Spec.DeletionPolicy: ArchiverDeletionPolicy.WipeOut };
        var updated = await store.UpdateAsync<MongoDB>(databaseId, db =>
        {
            var annotations = new Dictionary<string, string>(db.Metadata.Annotations ?? new Dictionary<string, string>());
            annotations.Remove(ApiGroups.SpecHashAnnotation);
            db.Metadata.Annotations = annotations;
            return db with { Spec = (db.Spec ?? new MongoDBSpec()) with { Archiver = null } };
        }, cancellation, read);
        if (updated is null) return "database is gone";
        // The status of the database just cleared, not of one created again under its name meanwhile.
        await store.UpdateStatusAsync<MongoDB>(databaseId, db =>
        {
            if (db.Metadata.Uid != updated.Metadata.Uid) return null;
            var archiving = db.Status?.Archiver ?? new DatabaseArchiverStatus();
            return db with
            {
                Status = (db.Status ?? new MongoDBStatus()) with
                {
                    Archiver = archiving with
                    {
                        Phase = DatabaseArchiverPhase.Disabled,
                        SpecHash = null,
                        RecoverableWindows = wiping ? [] : archiving.RecoverableWindows,
                    },
                },
            };
        }, cancellation, updated);
        return $"archiving disabled by {request.ArchiverId}";
    }

    /// <summary>The archiver as it is now, refused if it changed since the request was made.</summary>
    private async Task<(MongoDBArchiver Archiver, string Hash)> CurrentArchiverAsync(OpsRequestState request, CancellationToken cancellation)
    {
        var id = request.ArchiverId ?? throw new PermanentStepException("the request names no archiver");
        var archiver = await store.GetAsync<MongoDBArchiver>(id, cancellation) ?? throw new SupersededException($"archiver {id} was deleted");
        if (archiver.Spec is null) throw new PermanentStepException($"archiver {id} has no spec");
        var hash = SpecHash.Compute(archiver.Spec);
        if (request.SpecHash is { } wanted && wanted != hash)
        {
            throw new SupersededException($"archiver {id} changed (spec-hash {wanted} → {hash}); a new ops request configures it");
        }

        return (archiver, hash);
    }

    /// <summary>
    /// A database being restored is configured once restored (its planner waits for that): a request that reaches it
    /// meanwhile was made for another database of the same name, deleted since, and is skipped.
    /// </summary>
    private static MongoDB NotBeingRestored(MongoDB db) => Databases.DatabaseMutator.RestorePending(db)
        ? throw new SupersededException($"database {ResourceId.Of(db)} is being restored; it is configured once restored")
        : db;

    /// <summary>
    /// A request starts only once KubeDB reports the database Ready, as KubeDB's own ops requests do with their default
    /// <c>spec.apply: IfReady</c> (which Archiver's requests keep): a database still provisioning has no workload to
    /// inject into, or pods that are not up yet. One with no phase at all has no KubeDB reporting on it (the embedded
    /// node) and is not waited for.
    /// </summary>
    private static MongoDB Ready(MongoDB db) => db.KubeDbPhase() is { } phase && phase != MongoDB.ReadyPhase
        ? throw new WaitingStepException($"waiting for MongoDB {ResourceId.Of(db)} to be Ready (KubeDB reports status.phase {phase})")
        : db;

    private async Task<MongoDB> RequireDatabaseAsync(ResourceId id, CancellationToken cancellation) =>
        await store.GetAsync<MongoDB>(id, cancellation) ?? throw new PermanentStepException($"database {id} does not exist");

    /// <summary>Creating what an earlier attempt already created is success, not a conflict.</summary>
    private async Task CreateTolerantAsync<T>(T resource, CancellationToken cancellation)
        where T : Resource
    {
        try
        {
            await store.CreateAsync(resource, cancellation);
        }
        catch (ResourceConflictException)
        {
        }
    }
}
