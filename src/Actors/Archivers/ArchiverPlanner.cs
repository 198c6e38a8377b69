using System.Globalization;
using Archiver.Actors.OpsRequests;
using Archiver.Messages.Configuration;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Archivers;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Archivers;

/// <summary>
/// The archiver controller's decisions, as one pure function of what the entity remembers and what the store
/// holds: which databases it owns, which need a ConfigureArchiver or DisableArchiver ops request, which are
/// held up and why, and what its status says. No I/O: the entity persists the events and does the rest.
/// </summary>
public static class ArchiverPlanner
{
    public const string Finalizer = "archiver.kubedb.com/finalizer";

    public static ArchiverPlan Plan(ArchiverState state, ArchiverWorld world, DateTimeOffset now)
    {
        if (world.Archiver is not { Spec: not null } archiver) return ArchiverPlan.Nothing(ArchiverPhase.Deleting);
        var run = new Run(state, world, archiver, now);
        run.ObserveSpecAndDeletion();
        run.ObserveOpsRequests();
        if (run.State.Deleting == ArchiverDeletionPolicy.DoNotDelete) return run.Finish(finishDeletion: true);
        run.ConfigureOwned();
        run.DisableUnowned();
        var finish = run.State.Deleting is not null && run.State.Databases.IsEmpty && !run.ConfiguredByUs().Any();
        return run.Finish(finish);
    }

    /// <summary>One planning pass: events are applied to <see cref="State"/> as they are emitted, so later rules see them.</summary>
    private sealed class Run(ArchiverState state, ArchiverWorld world, MongoDBArchiver archiver, DateTimeOffset now)
    {
        private readonly List<IArchiverEvent> _events = [];
        private readonly List<OpsRequestIssued> _toCreate = [];
        private readonly List<Holdup> _holdups = [];
        private readonly Dictionary<ResourceId, MongoDB> _databases = world.Databases.ToDictionary(ResourceId.Of);
        private readonly ResourceId _id = ResourceId.Of(archiver);
        private readonly string _hash = SpecHash.Compute(archiver.Spec!);

        // Built once per pass, so settling who takes each database costs its labels, not every archiver.
        private readonly SelectionIndex _contenders = new(world.Archivers);
        private Dictionary<ResourceId, MongoDB> _owned = [];

        // Selected and won, but its storage does not exist: blocked, never disabled, so a storage deleted and made again
        // does not tear down archiving and roll the pods. A usage policy that stops allowing the namespace is the
        // storage owner's decision, and disables it.
        private readonly HashSet<ResourceId> _heldUp = [];

        public ArchiverState State { get; private set; } = state;

        private bool Paused => archiver.Spec!.Pause == true;

        public void ObserveSpecAndDeletion()
        {
            var generation = archiver.Metadata.Generation ?? 0;
            if (generation != State.Generation || _hash != State.SpecHash || Paused != State.Paused)
            {
                Emit(new ArchiverSpecObserved(_id, generation, _hash, Paused, now));
            }

            if (archiver.Metadata.DeletionTimestamp is not null && State.Deleting is null)
            {
                var policy = archiver.Spec!.DeletionPolicy ?? ArchiverDeletionPolicy.Delete;
                var prefixes = policy == ArchiverDeletionPolicy.WipeOut
                    ? State.Databases.Keys.Concat(ConfiguredByUs()).Distinct().Order().Select(db => ArchiverResources.Directory(archiver, db)).ToList()
                    : new List<string>();
                Emit(new ArchiverDeletionStarted(_id, policy, prefixes, now));
            }
        }

        public void ObserveOpsRequests()
        {
            foreach (var record in State.Databases.Values)
            {
                if (!world.OpsRequests.TryGetValue(record.OpsRequestId, out var request)) continue;
                var phase = request.Status?.Phase ?? OpsRequestPhase.Pending;
                if (!record.Seen || phase != record.Phase) Emit(new OpsRequestPhaseObserved(_id, record.DatabaseId, record.OpsRequestId, phase, now));
            }
        }

        public void ConfigureOwned()
        {
            _owned = State.Deleting is null ? Owned() : [];
            foreach (var (dbId, db) in _owned)
            {
                State.Databases.TryGetValue(dbId, out var record);
                if (record is not null && Waiting(record)) continue;
                if (record is null && Databases.DatabaseMutator.NeedsConfigurationAtCreation(db) && Databases.DatabaseMutator.ArchiverOf(db) == _id) continue;
                // A database being restored is archived once restored: its restore replays into it, and a rolling restart
                // in the middle would fail the restore.
                if (Databases.DatabaseMutator.RestorePending(db)) continue;
                var configured = db.Metadata.Annotations is { } annotations
                    && annotations.TryGetValue(ApiGroups.SpecHashAnnotation, out var hash) && hash == _hash && ConfiguredBy(db);
                if (configured || Paused) continue;
                Issue(dbId, db, ArchiverOperationType.ConfigureArchiver);
            }
        }

        public void DisableUnowned()
        {
            var ours = State.Databases.Keys.Concat(ConfiguredByUs()).Distinct().Where(db => !_owned.ContainsKey(db) && !_heldUp.Contains(db)).ToList();
            foreach (var dbId in ours)
            {
                State.Databases.TryGetValue(dbId, out var record);
                if (!_databases.TryGetValue(dbId, out var db))
                {
                    if (record is not null) Emit(new DatabaseReleased(_id, dbId, "the database was deleted", now));
                    continue;
                }

                if (record is not null && Waiting(record)) continue;
                if (record is { Operation: ArchiverOperationType.DisableArchiver, Phase: OpsRequestPhase.Successful } || !ConfiguredBy(db))
                {
                    if (record is not null) Emit(new DatabaseReleased(_id, dbId, "archiving disabled", now));
                    continue;
                }

                if (Paused && State.Deleting is null) continue;
                Issue(dbId, db, ArchiverOperationType.DisableArchiver);
            }
        }

        public IEnumerable<ResourceId> ConfiguredByUs() => _databases.Where(d => ConfiguredBy(d.Value)).Select(d => d.Key);

        public ArchiverPlan Finish(bool finishDeletion)
        {
            var refs = _owned.Keys.Concat(State.Databases.Keys).Distinct().Order().Select(dbId =>
            {
                State.Databases.TryGetValue(dbId, out var record);
                return new ArchivedDatabaseRef { Name = dbId.Name, Namespace = dbId.Namespace, OpsReqName = record?.OpsRequestId.Name, OpsReqPhase = record?.Phase };
            }).ToList();
            var phase = State.Deleting is not null ? ArchiverPhase.Deleting
                : Paused ? ArchiverPhase.Paused
                : _holdups.Any(h => h.Kind is "Blocked" or "UsageDenied" or "Unsupported") ? ArchiverPhase.Blocked
                : State.Databases.Values.Any(d => d.InFlight) || _toCreate.Count > 0 ? ArchiverPhase.Progressing
                : ArchiverPhase.Current;
            var wipes = finishDeletion && State.Deleting == ArchiverDeletionPolicy.WipeOut ? State.PrefixesToWipe : [];
            return new ArchiverPlan(_events, _toCreate, phase, refs, ArchiverConditions.For(phase, _holdups, now, Waits()), wipes, finishDeletion);
        }

        /// <summary>
        /// What the requests in flight wait for, as their Waiting conditions say (a database not Ready, a secret missing
        /// a key, a verb RBAC refuses): the archiver is where one looks first, so its Ready condition repeats the cause.
        /// </summary>
        private List<Holdup> Waits() =>
        [
            .. State.Databases.Values.Where(d => d.InFlight).OrderBy(d => d.DatabaseId)
                .Select(d => (d.DatabaseId, Waiting: world.OpsRequests.GetValueOrDefault(d.OpsRequestId)?.Status?.Conditions?
                    .FirstOrDefault(c => c.Reason == OpsRequestConditions.WaitingReason)))
                .Where(w => w.Waiting?.Message is not null)
                .Select(w => new Holdup(w.DatabaseId, "Waiting", w.Waiting!.Message!)),
        ];

        /// <summary>Selected, won against other archivers, and allowed to use the storage and retention policy.</summary>
        private Dictionary<ResourceId, MongoDB> Owned()
        {
            var owned = new Dictionary<ResourceId, MongoDB>();
            var storageRef = archiver.Spec!.BackupStorage?.Ref;
            // Said once for the archiver, whether or not it selects a database yet: the storage is what to fix.
            if (world.Storage is null)
            {
                var missing = storageRef is null ? "spec.backupStorage.ref names no BackupStorage"
                    : $"BackupStorage {(string.IsNullOrEmpty(storageRef.Namespace) ? _id.Namespace : storageRef.Namespace)}/{storageRef.Name} does not exist";
                _holdups.Add(new Holdup(null, "Blocked", $"{missing}; no database is configured until it does"));
            }

            // Said once too: a storage no node can open would fail every database configured into it at its first write.
            var storageRefusal = world.Storage is { } target ? StorageSupport.Refusal(ResourceId.Of(target), target.Spec) : null;
            if (storageRefusal is not null)
            {
                _holdups.Add(new Holdup(null, "Blocked", $"{storageRefusal}; no database is configured until it is"));
            }

            // Said once too, before any scheduled run: a database configured with a driver its node cannot run would
            // archive its oplog with no full backup to replay it onto, and fail a backup at every run.
            if (world.DriverRefusal is { } refusal)
            {
                _holdups.Add(new Holdup(null, "Blocked", $"{refusal}; no database is configured until it does"));
            }

            foreach (var (dbId, db) in _databases.OrderBy(d => d.Key))
            {
                if (!ArchiverSelection.Selects(archiver, db, world.Namespaces)) continue;
                var winner = ArchiverSelection.Winner(db, _contenders.Selecting(db, world.Namespaces));
                if (winner is { } other && other != _id)
                {
                    _holdups.Add(new Holdup(dbId, "Conflict", $"also selected by archiver {other}, which takes it (the one named by spec.archiver.ref, else the oldest)"));
                    continue;
                }

                // Selected, but nothing can archive it: said on the archiver, where the user who selected it looks, and no ops
                // request is made to fail at its first step.
                if (ArchiverSelection.Unsupported(db, world.ShardedRefusal, world.StandaloneRefusal) is { } unsupported)
                {
                    _holdups.Add(new Holdup(dbId, "Unsupported", $"{unsupported}; nothing is configured for it"));
                    continue;
                }

                if (world.Storage is not { } storage || world.DriverRefusal is not null || storageRefusal is not null)
                {
                    _heldUp.Add(dbId);
                    continue;
                }

                if (!ArchiverSelection.Allows(storage.Spec?.UsagePolicy, ResourceId.Of(storage).Namespace, dbId.Namespace, world.Namespaces))
                {
                    _holdups.Add(new Holdup(dbId, "UsageDenied", $"backup storage {ResourceId.Of(storage)} may not be used from namespace {dbId.Namespace} (its usagePolicy)"));
                    continue;
                }

                if (world.Retention is { } retention && !ArchiverSelection.Allows(retention.Spec?.UsagePolicy, ResourceId.Of(retention).Namespace, dbId.Namespace, world.Namespaces))
                {
                    _holdups.Add(new Holdup(dbId, "UsageDenied", $"retention policy {ResourceId.Of(retention)} may not be used from namespace {dbId.Namespace} (its usagePolicy)"));
                    continue;
                }

                owned[dbId] = db;
            }

            return owned;
        }

        /// <summary>An ops request in flight is awaited (and created if a crash lost it); a Failed one that still exists blocks.</summary>
        private bool Waiting(ArchivedDatabase record)
        {
            var exists = world.OpsRequests.ContainsKey(record.OpsRequestId);
            if (record.InFlight)
            {
                if (exists) return true;
                if (!record.Seen)
                {
                    _toCreate.Add(new OpsRequestIssued(_id, record.DatabaseId, record.OpsRequestId, record.Operation, record.SpecHash, now));
                    return true;
                }

                return false;
            }

            if (record.Phase == OpsRequestPhase.Failed && exists)
            {
                _holdups.Add(new Holdup(record.DatabaseId, "Blocked", $"ops request {record.OpsRequestId} failed; fix the cause and delete it to let the archiver try again"));
                return true;
            }

            return false;
        }

        private void Issue(ResourceId dbId, MongoDB db, ArchiverOperationType operation)
        {
            var verb = operation == ArchiverOperationType.ConfigureArchiver ? "configure" : "disable";
            var name = $"{db.Metadata.Name}-archiver-{verb}-{now.ToUnixTimeMilliseconds().ToString("x", CultureInfo.InvariantCulture)}";
            var issued = new OpsRequestIssued(_id, dbId, new ResourceId(dbId.Namespace, name), operation,
                operation == ArchiverOperationType.ConfigureArchiver ? _hash : null, now);
            Emit(issued);
            _toCreate.Add(issued);
        }

        private bool ConfiguredBy(MongoDB db) =>
            db.Spec?.Archiver?.Ref is { } reference && new ResourceId(reference.NamespaceOr(ResourceId.Of(db).Namespace), reference.Name) == _id
            && db.Metadata.Annotations?.ContainsKey(ApiGroups.SpecHashAnnotation) == true;

        private void Emit(IArchiverEvent e)
        {
            _events.Add(e);
            State = State.Apply(e);
        }
    }
}
