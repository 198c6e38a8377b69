using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Messages.Configuration;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Databases;

/// <summary>
/// What a database's restore does next, as pure functions over its state (the entity persists the events and runs the
/// planner; tests/Archiver.Actors.Tests/RestoreDeciderTests.cs checks the rules without an actor). A database with
/// <c>spec.init.archiver.recoveryTimeStamp</c> asks for one restore, once; its settings are read then, and an annotation
/// that cannot be used fails it at once; its plan, once made, is recorded before the target is touched.
/// </summary>
public static class RestoreDecider
{
    /// <summary>
    /// The events a look at the database makes: a restore asked for (and failed at once when its settings cannot be
    /// used), or nothing when it asks for none or asked before.
    /// </summary>
    public static IReadOnlyList<IDatabaseEvent> Request(DatabaseState state, MongoDB db, MongoDBArchiver? archiver, DateTimeOffset now)
    {
        if (state.Restore is not null || db.Spec?.Init?.Archiver is not { RecoveryTimeStamp: { } target, Repository: { } repository } init) return [];
        var storage = new ResourceId(repository.NamespaceOr(state.Id.Namespace), repository.Name);
        // No prefix given: the history this name has, where the archiver that selects it keeps it (the same-name
        // disaster recovery the design shows), else where the default prefix puts it.
        var prefix = init.Prefix
            ?? (archiver is { Spec: not null } && ArchiverResources.StorageId(archiver) == storage ? ArchiverResources.Directory(archiver, state.Id) : null)
            ?? PrefixTemplate.Expand(PrefixTemplate.Default, MongoDB.KindName, state.Id.Namespace, state.Id.Name);
        // How it restores is read now, once: checked before anything is read from the storage, and recorded, so the
        // restore taken up after a stop runs as it started whatever the annotations say by then.
        var (settings, problem) = RestoreSettings.FromAnnotations(db.Metadata.Annotations);
        var requested = new RestoreRequested(state.Id, storage, prefix, target, now, settings ?? RestoreSettings.Default);
        return problem is null ? [requested] : [requested, new RestoreFailed(state.Id, problem, TargetTouched: false, now)];
    }

    /// <summary>
    /// The planner found the plan: recorded, so the restore runs it, and runs it again if taken up after a stop. A plan
    /// whose shape the target's spec cannot take (<see cref="ShapeProblem"/>) fails the restore instead, before anything
    /// is read into the target: a sharded cluster's history into a replica set or a cluster of another shard count.
    /// </summary>
    public static IDatabaseEvent? Planned(DatabaseState state, PlanInfo plan, MongoDB? target, DateTimeOffset now) =>
        state.Restore is not { IsFinished: false } ? null
        : target is not null && ShapeProblem(plan, target) is { } problem ? new RestoreFailed(state.Id, problem, TargetTouched: false, now)
        : new RestorePlanned(state.Id, plan, now);

    /// <summary>
    /// Why the target's spec cannot take the plan's history, or null: a sharded cluster's goes into a sharded cluster of
    /// as many shards (<c>spec.shardTopology.shard.shards</c>; the shards pair up by position), a replica set's into a
    /// replica set. The restore checks the target itself again before its first write (ShardedRestore), since a spec
    /// can say otherwise than the cluster it names.
    /// </summary>
    public static string? ShapeProblem(PlanInfo plan, MongoDB target)
    {
        var name = $"{target.Metadata.NamespaceProperty}/{target.Metadata.Name}";
        if (plan.ConfigServer is { } config)
        {
            var shards = plan.Components.Where(c => c != config).ToList();
            var source = $"backup {plan.BaseBackupId} is of a sharded cluster of {shards.Count} shard(s) ({string.Join(", ", shards)}) and config server {config}";
            if (!target.IsSharded())
            {
                return $"{source}; {name} is a replica set (no spec.shardTopology): restore it into a MongoDB with spec.shardTopology.shard.shards: {shards.Count}";
            }

            return target.ShardCount() is { } count && count != shards.Count
                ? $"{source}; {name} has spec.shardTopology.shard.shards: {count}: restore into a cluster of the same number of shards"
                : null;
        }

        // A plan recorded before plans named the config server, of several components, may be either: the restore tells.
        return target.IsSharded() && plan.Components.Count == 1
            ? $"backup {plan.BaseBackupId} is a replica set's ({plan.Components[0]}); {name} is a sharded cluster (spec.shardTopology): restore it into a replica set"
            : null;
    }

    /// <summary>The planner ended: restored, or refused or failed (with whether the target was written to).</summary>
    public static IDatabaseEvent? Finished(DatabaseState state, RestoreOutcome? outcome, string? error, bool targetTouched, DateTimeOffset now) =>
        state.Restore is not { IsFinished: false } ? null
        : outcome is { } o ? new RestoreSucceeded(state.Id, o.BaseBackupId, o.EntriesApplied, o.Skipped.ToList(), now)
        : new RestoreFailed(state.Id, error ?? "unknown failure", targetTouched, now);

    /// <summary>
    /// What the database's status says of its restore: the phase, and the <c>Restored</c> condition (Unknown while it
    /// runs or waits for its target, with the reason; True once restored, naming the backup and what was left out;
    /// False once failed, with the cause).
    /// </summary>
    public static (DatabaseArchiverPhase Phase, Condition Condition) Status(RestoreRecord restore, string? waiting, DateTimeOffset now)
    {
        var phase = restore.Stage switch
        {
            RestoreStage.Succeeded => DatabaseArchiverPhase.Restored,
            RestoreStage.Failed => DatabaseArchiverPhase.RestoreFailed,
            _ => DatabaseArchiverPhase.Restoring,
        };
        var isWaiting = waiting is not null && !restore.IsFinished;
        var condition = DatabaseConditions.Restored(
            restore.Stage == RestoreStage.Succeeded ? ConditionStatus.True : restore.Stage == RestoreStage.Failed ? ConditionStatus.False : ConditionStatus.Unknown,
            isWaiting ? DatabaseConditions.WaitingForTargetReason : restore.Stage.ToString(),
            restore.Error ?? (isWaiting ? waiting! : restore.BaseBackupId is null ? "planning" : $"from backup {restore.BaseBackupId}{LeftOut(restore)}"),
            now);
        return (phase, condition);
    }

    // Said where users look: what the restore left out of the users' own namespaces (users and roles turned off, an
    // excluded database) is data it does not have, so those come before MongoDB's own (local, config), which every
    // restore leaves out.
    private static string LeftOut(RestoreRecord restore) =>
        restore.LeftOut.Count == 0 ? "" : $"; left out (not restorable, or MongoDB's own): {string.Join(", ", restore.LeftOut.OrderBy(MongoDBsOwn).Take(10))}{(restore.LeftOut.Count > 10 ? $" and {restore.LeftOut.Count - 10} more" : "")}";

    private static bool MongoDBsOwn(string entry) =>
        entry.StartsWith("config.", StringComparison.Ordinal) || entry.StartsWith("local", StringComparison.Ordinal);
}
