using System.Text.Json;
using Archiver.Actors.Ports;
using Archiver.Messages.Validation;
using Archiver.Mongo;
using Archiver.Messages.Protocol.Databases;
using Archiver.Mongo.Restore;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.VolumeSnapshots;
using Archiver.Storage.Layout;
using k8s.Models;
using MongoDB.Driver;

namespace Archiver.Host.Adapters;

/// <summary>
/// Runs a database's recorded restore plan (<see cref="RestorePlanDocument"/>) with the data plane's executor into the
/// target database's replica set, with the settings recorded when the restore was requested: the databases it restores
/// (<see cref="RestoreSettings.Databases"/>, like mongorestore's <c>--nsFrom/--nsTo</c>: the way to restore next to live
/// data in one replica set; the target owns every database it restores, they must not exist yet) and the secret it
/// connects with.
/// </summary>
/// <param name="snapshots">In a cluster: checks a volume-snapshot base before its claims are made from it; null on the embedded node, which refuses such a base.</param>
/// <param name="snapshotReadyWait">How long a restore waits for its base's VolumeSnapshot to be ready to use before it fails saying so (default <see cref="DefaultSnapshotReadyWait"/>).</param>
public sealed class MongoRestoreRunner(
    IObjectStoreProvider stores, MongoConnections connections, Actors.Ports.IResourceStore resources, IVolumeSnapshotter? snapshots = null, TimeSpan? snapshotReadyWait = null) : IRestoreRunner
{
    public static readonly TimeSpan DefaultSnapshotReadyWait = TimeSpan.FromMinutes(5);

    private readonly TimeSpan _snapshotReadyWait = snapshotReadyWait ?? DefaultSnapshotReadyWait;

    public async Task<RestoreOutcome> RunAsync(RestoreJob job, IProgress<RestoreProgressReport> progress, CancellationToken cancellation)
    {
        if (job.Plan?.Document is not { } document)
        {
            throw new ArgumentException($"the restore of {job.Database} has no recorded plan to run", nameof(job));
        }

        var target = await resources.GetAsync<Messages.Resources.MongoDB>(job.Database, cancellation)
            ?? throw new InvalidOperationException($"MongoDB {job.Database} not found");
        // A restore requested before settings were recorded reads them as it did then, from the annotations.
        var settings = job.Settings ?? RestoreSettings.FromAnnotations(target.Metadata.Annotations) switch
        {
            ({ } read, _) => read,
            (_, var error) => throw new InvalidOperationException(error),
        };
        // One id per database incarnation: a database created again under the name restores as another restore.
        var restoreId = $"{job.Database.Namespace}.{job.Database.Name}.{target.Metadata.Uid}";
        var store = await stores.OpenAsync(job.Storage, cancellation);
        var plan = await RestorePlanDocument.FromJson(document).ResolveAsync(store, cancellation);
        if (plan.BaseBackup.IsVolumeSnapshot)
        {
            // Before the database is reached: its claims are made from the snapshot, so a snapshot that cannot be used
            // leaves its pods waiting for volumes; the restore says why instead of waiting with them.
            await CheckSnapshotBaseAsync(job, target, plan.BaseBackup, settings, cancellation);
        }

        IMongoClient client;
        try
        {
            client = await connections.ClientForAsync(target, settings.ConnectionSecret, cancellation);
        }
        catch (Exception e) when (Unreachable(e))
        {
            // Members whose volumes are made from the snapshot wait for them: when a claim's provisioner says why it
            // cannot make one, that is the cause to show, not the connection's timeout.
            // A warning that has not changed for as long as a snapshot may take to become ready is the provisioner's
            // answer, not its progress: the restore fails naming it, before any write.
            var trouble = plan.BaseBackup.IsVolumeSnapshot ? await ClaimTroubleAsync(job, target, cancellation) : null;
            if (trouble is not null && DateTimeOffset.UtcNow - trouble.Since >= _snapshotReadyWait)
            {
                throw new RestoreRefusedException($"the volumes of MongoDB {job.Database} cannot be made from backup {plan.BaseBackup.Id}'s VolumeSnapshot: {trouble.Message} (for {Messages.Validation.GoDuration.Format(DateTimeOffset.UtcNow - trouble.Since)})", e);
            }

            throw new RestoreTargetUnreachableException($"cannot reach MongoDB {job.Database} yet: {trouble?.Message ?? e.Message}", e);
        }

        var options = new RestoreOptions { RestoreId = restoreId, RestoreUsersAndRoles = settings.UsersAndRoles, BaseInVolumes = plan.BaseBackup.IsVolumeSnapshot };
        if (settings.Databases is { Count: > 0 } mappings)
        {
            var map = mappings.ToDictionary(m => m.Source, m => m.Target, StringComparer.Ordinal);
            var owned = map.Values.ToHashSet(StringComparer.Ordinal);
            options = options with
            {
                IncludeDatabase = map.ContainsKey,
                MapDatabase = name => map.GetValueOrDefault(name, name),
                OwnsTargetDatabase = owned.Contains,
            };
        }

        if (plan.BaseBackup.IsSharded)
        {
            return await RunShardedAsync(job, store, plan, client, options, cancellation);
        }

        RestoreReport report;
        try
        {
            report = await new RestoreExecutor(store, new RepositoryLayout(job.SourcePrefix), client, options)
                .RunAsync(plan, new Progress<RestoreProgress>(p => progress.Report(new RestoreProgressReport(p.ItemsDone, p.EntriesTotal, p.BytesDone, p.BytesTotal))), cancellation);
        }
        catch (Exception e) when (e is not (RestoreFailedException or RestoreRefusedException) && Unreachable(e))
        {
            // Before its marker the executor has written nothing, and after it, what it finished is recorded there: either
            // way the restore may be tried again, and then starts, or resumes where it stopped.
            throw new RestoreTargetUnreachableException($"cannot reach MongoDB {job.Database}: {e.Message}", e);
        }

        if (plan.BaseBackup.IsVolumeSnapshot) await SettleSnapshotBaseAsync(job, target, plan.BaseBackup.VolumeSnapshots[0], cancellation);
        return new RestoreOutcome(report.BackupId, report.EntriesReplayed, [.. report.Skipped.Select(s => $"{s.Key}: {s.Value}")]);
    }

    /// <summary>
    /// A sharded cluster's backup: restored through the target's router into its replica sets, each at the same
    /// cluster time (<see cref="ShardedRestore"/>); the target must be a sharded cluster of the same shards.
    /// </summary>
    private async Task<RestoreOutcome> RunShardedAsync(RestoreJob job, Archiver.Storage.Backends.IObjectStore store, RestorePlan plan, IMongoClient client, RestoreOptions options, CancellationToken cancellation)
    {
        if (!await Mongo.Sharding.ShardedTopology.IsRouterAsync(client, cancellation))
        {
            throw new RestoreRefusedException($"backup {plan.BaseBackup.Id} is a sharded cluster's ({string.Join(", ", plan.BaseBackup.Components)}); MongoDB {job.Database} is reached as a replica set, not through a router (mongos): restore it into a sharded cluster of the same shards");
        }

        ShardedRestoreReport report;
        try
        {
            report = await new ShardedRestore(store, new RepositoryLayout(job.SourcePrefix), client, connections.ReplicaSets(client), options).RunAsync(plan, cancellation);
        }
        catch (Exception e) when (e is not (RestoreFailedException or RestoreRefusedException) && Unreachable(e))
        {
            throw new RestoreTargetUnreachableException($"cannot reach MongoDB {job.Database}: {e.Message}", e);
        }

        return new RestoreOutcome(report.BackupId, report.EntriesReplayed, [.. report.Components.SelectMany(c => c.Value.Skipped.Select(s => $"{c.Key}: {s.Key}: {s.Value}"))]);
    }

    /// <summary>
    /// A volume-snapshot base restores the whole replica set, from a snapshot whose class exists and which is ready to
    /// use; into another namespace than the snapshot's through a copy bound there.
    /// </summary>
    private async Task CheckSnapshotBaseAsync(RestoreJob job, Messages.Resources.MongoDB target, BackupManifest backup, RestoreSettings settings, CancellationToken cancellation)
    {
        var snapshot = backup.VolumeSnapshots[0];
        var what = $"backup {backup.Id} is VolumeSnapshot {snapshot.Namespace}/{snapshot.Name}";
        if (settings.Databases is { Count: > 0 })
        {
            throw new RestoreRefusedException($"{what}, which restores the whole replica set: {RestoreSettings.DatabasesAnnotation} cannot be used with it; restore to a point covered by a Logical backup");
        }

        // The provisioner refuses a claim smaller than the snapshot (external-provisioner, getSnapshotSource: "requested
        // volume size ... is less than the size ... for the source snapshot"); said here, before any pod waits for it.
        if (StorageRequest(target) is ({ } text, var requested) && requested < snapshot.RestoreSizeBytes)
        {
            throw new RestoreRefusedException($"{what} of {ByteQuantity.Format(snapshot.RestoreSizeBytes)} ({snapshot.RestoreSizeBytes} bytes): spec.storage.resources.requests.storage {text} is smaller, and a volume cannot be made from a snapshot larger than it; ask at least the snapshot's size");
        }

        if (snapshots is null)
        {
            throw new RestoreRefusedException($"{what}: it is restored by making the database's claims from it, which only a node in a cluster does");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(_snapshotReadyWait);
        try
        {
            if (snapshot.Namespace == job.Database.Namespace)
            {
                await snapshots.WaitRestorableAsync(snapshot.Namespace, snapshot.Name, snapshot.ClassName, deadline.Token);
            }
            else
            {
                // A claim is made from a VolumeSnapshot of its own namespace (the CrossNamespaceVolumeDataSource gate is
                // alpha, off by default): the snapshot's data is bound again in the database's namespace under the same
                // name, which the claims' data source then names (status.archiver.restore.baseVolumeSnapshot).
                await snapshots.BindCopyAsync(snapshot, job.Database.Namespace, deadline.Token);
            }
        }
        catch (VolumeSnapshotFailedException e)
        {
            throw new RestoreRefusedException($"{what}, which cannot be restored from: {e.Message}", e);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw new RestoreRefusedException($"{what}, which did not become ready to use within {Messages.Validation.GoDuration.Format(_snapshotReadyWait)}");
        }
    }

    /// <summary>
    /// After the replay: every member's claim is made (a StatefulSet makes them one member after another, and the claims
    /// webhook gives them the snapshot as data source only while the restore runs), then a copy bound in another
    /// namespace is deleted (its content retains the data, which stays the backup's). A member whose claim is not made
    /// within the wait starts empty and syncs from the others, as a member added later does; the copy is left then
    /// (labelled <see cref="Kubernetes.KubernetesVolumeSnapshotter.CopyLabel"/>), since a claim may still be made from it.
    /// </summary>
    private async Task SettleSnapshotBaseAsync(RestoreJob job, Messages.Resources.MongoDB target, VolumeSnapshotRecord snapshot, CancellationToken cancellation)
    {
        if (snapshots is null) return;
        var claims = DataClaims(job, target);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(_snapshotReadyWait);
        try
        {
            await snapshots.WaitClaimsMadeAsync(job.Database.Namespace, claims, deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return;
        }

        if (snapshot.Namespace != job.Database.Namespace) await snapshots.DeleteCopyAsync(job.Database.Namespace, snapshot.Name, cancellation);
    }

    /// <summary>A Pending claim's provisioner warning; null when there is none or it cannot be read (the wait goes on either way).</summary>
    private async Task<ClaimTrouble?> ClaimTroubleAsync(RestoreJob job, Messages.Resources.MongoDB target, CancellationToken cancellation)
    {
        if (snapshots is null) return null;
        try
        {
            return await snapshots.ClaimTroubleAsync(job.Database.Namespace, DataClaims(job, target), cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The data claims KubeDB's StatefulSet makes for the database's members (<c>datadir-{db}-{i}</c>, <c>spec.replicas</c> of them).</summary>
    private static List<string> DataClaims(RestoreJob job, Messages.Resources.MongoDB target)
    {
        var replicas = target.Spec?.Other?.TryGetValue("replicas", out var value) == true && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : 1;
        return [.. Enumerable.Range(0, Math.Max(replicas, 1)).Select(i => $"datadir-{job.Database.Name}-{i}")];
    }

    /// <summary>The storage each member asks (<c>spec.storage.resources.requests.storage</c>), as written and in bytes; null when not set or not a quantity.</summary>
    private static (string Text, long Bytes)? StorageRequest(Messages.Resources.MongoDB target)
    {
        if (target.Spec?.Other?.TryGetValue("storage", out var storage) != true || storage.ValueKind != JsonValueKind.Object) return null;
        if (!storage.TryGetProperty("resources", out var resources) || resources.ValueKind != JsonValueKind.Object
            || !resources.TryGetProperty("requests", out var requests) || requests.ValueKind != JsonValueKind.Object
            || !requests.TryGetProperty("storage", out var request) || request.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var text = request.GetString()!;
        try
        {
            return (text, (long)new ResourceQuantity(text).ToDecimal());
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// A target not there yet, as while KubeDB provisions it: no connection, no server selected in time, not yet
    /// accepting the credentials, or the secret that names it not made yet.
    /// </summary>
    private static bool Unreachable(Exception e) =>
        e is SecretNotFoundException || MongoTransience.IsTransient(e) || e is MongoCommandException { Code: 13 or 18 };
}
