using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;
using Archiver.Emulators.Cluster.Controllers;
using Archiver.Emulators.Cluster.Kubelet;
using Archiver.Emulators.Cluster.Network;

namespace Archiver.Emulators.Cluster.KubeDb;

/// <summary>
/// A stand-in for KubeDB's provisioner, for <c>kubedb.com</c> MongoDB replica sets and sharded databases: for each MongoDB it makes the auth
/// secret <c>{db}-auth</c> (unless <c>spec.authSecret.name</c> names one), the keyfile secret, a ServiceAccount, the
/// governing Service <c>{db}-pods</c>, the primary Service <c>{db}</c> and the workload <c>{db}</c> (a StatefulSet for a
/// database written as <c>v1alpha2</c>, a PetSet for <c>v1</c>, or as <see cref="KubeDbWorkload"/> says); it keeps the
/// replica set (<see cref="DatabaseReplicaSet"/>) whose members the pods' <c>mongodb</c> containers are, labels the
/// pods <c>kubedb.com/role: primary|standby</c> as KubeDB's replication-mode-detector does, and writes
/// <c>status.phase</c>, <c>status.conditions</c> and <c>status.observedGeneration</c> by KubeDB's phase rules
/// (<see cref="KubeDbPhase"/>). The workload is made once: later changes of the MongoDB (but replicas) are not rolled
/// into it (KubeDB does that through ops requests), and edits others make to it (Archiver's sidecar) stay. A MongoDB
/// with <c>spec.shardTopology</c> gets, instead of the replica set's Services and workload, one workload and governing
/// Service per component (<see cref="MongoDbComponent.ShardedOf"/>: <c>{db}-configsvr</c>, <c>{db}-shard{n}</c>,
/// <c>{db}-mongos</c>, each <c>{workload}-pods</c>), the primary Service <c>{db}</c> in front of the routers, and a
/// <see cref="DatabaseShardedCluster"/>; the routers' workload is made once the config server and the shards are ready,
/// as KubeDB makes it after them.
/// </summary>
internal sealed class KubeDbController : IMongoMembers, IAsyncDisposable
{
    private readonly Informer _databases;
    private readonly Informer _secrets;
    private readonly Informer _services;
    private readonly Informer _accounts;
    private readonly Informer _sets;
    private readonly Informer _petSets;
    private readonly Informer _pods;
    private readonly ApiClient _api;
    private readonly ClusterNetwork _network;
    private readonly Events _events;
    private readonly StandInLog _log;
    private readonly TimeProvider _time;
    private readonly KubeDbWorkload _workload;
    private readonly TimeSpan _electionTimeout;
    private readonly ConcurrentDictionary<string, bool> _petSetByUid = new();
    private readonly ConcurrentDictionary<string, DatabaseReplicaSet> _replicaSets = new();
    private readonly ConcurrentDictionary<string, DatabaseShardedCluster> _shardedClusters = new();
    private readonly SemaphoreSlim _starting = new(1, 1);

    public KubeDbController(ClusterInformers informers, ApiClient api, ClusterNetwork network, Events events, StandInLog log, TimeProvider time, KubeDbWorkload workload, TimeSpan electionTimeout)
    {
        _databases = informers.MongoDBs;
        _secrets = informers.Secrets;
        _services = informers.Services;
        _accounts = informers.ServiceAccounts;
        _sets = informers.StatefulSets;
        _petSets = informers.PetSets;
        _pods = informers.Pods;
        _api = api;
        _network = network;
        _events = events;
        _log = log;
        _time = time;
        _workload = workload;
        _electionTimeout = electionTimeout;
        Loop = new ReconcileLoop("kubedb", ReconcileAsync, TimeSpan.FromSeconds(2), log);
        foreach (var informer in new[] { _databases, _secrets, _services, _sets, _petSets, _pods }) informer.Changed += (_, _) => Loop.Trigger();
    }

    public ReconcileLoop Loop { get; }

    /// <summary>The replica set of a MongoDB, once made (a test hook: its emulator's state).</summary>
    public DatabaseReplicaSet? ReplicaSet(string ns, string name) => _replicaSets.GetValueOrDefault($"{ns}/{name}");

    /// <summary>The sharded cluster of a MongoDB with <c>spec.shardTopology</c>, once made (a test hook).</summary>
    public DatabaseShardedCluster? ShardedCluster(string ns, string name) => _shardedClusters.GetValueOrDefault($"{ns}/{name}");

    public Task<IContainerRun> StartAsync(JsonObject pod, IPAddress address, string? dataDirectory)
    {
        var labels = J.Labels(pod);
        var ns = J.Namespace(pod);
        var db = labels.GetValueOrDefault("app.kubernetes.io/instance") ?? "";
        var kubeDb = labels.GetValueOrDefault("app.kubernetes.io/managed-by") == "kubedb.com";
        var ordinal = int.TryParse(labels.GetValueOrDefault("apps.kubernetes.io/pod-index"), out var index) ? index : -1;
        if (kubeDb && ShardedCluster(ns, db) is { } cluster)
        {
            // A sharded database's pod is a router, or a member of the shard or config server its workload label names.
            if (labels.GetValueOrDefault(MongoDbComponent.MongosLabel) == cluster.MongosWorkload)
            {
                if (ordinal < 0 || ordinal >= cluster.Mongos)
                {
                    throw new ContainerConfigException("CreateContainerError", $"{db} has {cluster.Mongos} routers; this pod would be router {ordinal}");
                }

                return cluster.StartMongosAsync(ordinal, address);
            }

            var workload = labels.GetValueOrDefault(MongoDbComponent.ShardLabel) ?? labels.GetValueOrDefault(MongoDbComponent.ConfigLabel) ?? "";
            if (cluster.Set(workload) is { } member) return StartMemberAsync(member, ordinal, address, dataDirectory);
        }
        else if (kubeDb && ReplicaSet(ns, db) is { } set)
        {
            return StartMemberAsync(set, ordinal, address, dataDirectory);
        }

        throw new ContainerConfigException("CreateContainerError",
            "the cluster stand-in runs MongoDB's image only as a member of a KubeDB MongoDB's replica set, shard or config server, or as its mongos (a pod of its workload)");
    }

    private static Task<IContainerRun> StartMemberAsync(DatabaseReplicaSet set, int ordinal, IPAddress address, string? dataDirectory)
    {
        if (ordinal < 0 || ordinal >= set.Members)
        {
            throw new ContainerConfigException("CreateContainerError", $"the replica set of {set.Workload} has {set.Members} members; this pod would be member {ordinal}");
        }

        return set.StartAsync(ordinal, address, dataDirectory);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var set in _replicaSets.Values) await set.DisposeAsync().ConfigureAwait(false);
        _replicaSets.Clear();
        foreach (var cluster in _shardedClusters.Values) await cluster.DisposeAsync().ConfigureAwait(false);
        _shardedClusters.Clear();
    }

    private async Task ReconcileAsync(CancellationToken stop)
    {
        var databases = _databases.Items().Where(d => !J.Deleting(d)).ToList();
        foreach (var db in databases)
        {
            try
            {
                await ReconcileDatabaseAsync(db, stop).ConfigureAwait(false);
            }
            catch (ApiException e)
            {
                _log.Write($"kubedb {J.Namespace(db)}/{J.Name(db)}: {e.Message}");
            }
        }

        // A database deleted: its replica set goes once its pods are gone (the garbage collector deletes them).
        var live = databases.Select(d => $"{J.Namespace(d)}/{J.Name(d)}").ToHashSet();
        foreach (var (key, set) in _replicaSets.Where(r => !live.Contains(r.Key)).ToList())
        {
            if (_pods.InNamespace(set.Namespace).Any(p => J.Labels(p).GetValueOrDefault("app.kubernetes.io/instance") == set.Name)) continue;
            if (_replicaSets.TryRemove(key, out _)) await set.DisposeAsync().ConfigureAwait(false);
            _log.Write($"kubedb: {key}: database gone, replica set removed");
        }

        foreach (var (key, cluster) in _shardedClusters.Where(r => !live.Contains(r.Key)).ToList())
        {
            if (_pods.InNamespace(cluster.Namespace).Any(p => J.Labels(p).GetValueOrDefault("app.kubernetes.io/instance") == cluster.Name)) continue;
            if (_shardedClusters.TryRemove(key, out _)) await cluster.DisposeAsync().ConfigureAwait(false);
            _log.Write($"kubedb: {key}: database gone, sharded cluster removed");
        }
    }

    private async Task ReconcileDatabaseAsync(JsonObject db, CancellationToken stop)
    {
        var ns = J.Namespace(db);
        var name = J.Name(db);
        var spec = db["spec"] as JsonObject ?? [];
        var sharded = spec["shardTopology"] is JsonObject;
        if (J.Text(spec["replicaSet"]?["name"]).Length == 0 && !sharded)
        {
            await _events.RecordAsync(db, "Warning", "Unsupported",
                "the cluster stand-in provisions MongoDB replica sets (spec.replicaSet.name) and sharded databases (spec.shardTopology) only, not standalone databases", stop).ConfigureAwait(false);
            return;
        }

        var conditions = J.Objects(db["status"]?["conditions"]).Select(c => (JsonObject)c.DeepClone()).ToList();
        SetCondition(conditions, KubeDbPhase.ProvisioningStarted, true, "DatabaseProvisioningStartedSuccessfully", $"The KubeDB operator has started the provisioning of MongoDB: {ns}/{name}", db);

        if (J.Text(spec["authSecret"]?["name"]).Length == 0 && _secrets.Get(ns, $"{name}-auth") is null)
        {
            await CreateAsync(Kind.Secret, MongoDbManifests.AuthSecret(db), stop).ConfigureAwait(false);
        }

        if (_secrets.Get(ns, $"{name}-key") is null) await CreateAsync(Kind.Secret, MongoDbManifests.KeySecret(db), stop).ConfigureAwait(false);
        if (_accounts.Get(ns, name) is null) await CreateAsync(Kind.ServiceAccount, MongoDbManifests.ServiceAccount(db), stop).ConfigureAwait(false);
        var components = sharded ? MongoDbComponent.ShardedOf(db) : [MongoDbComponent.ReplicaSetOf(db)];
        foreach (var component in components)
        {
            if (_services.Get(ns, component.GoverningService) is null) await CreateAsync(Kind.Service, MongoDbManifests.GoverningServiceObject(db, component), stop).ConfigureAwait(false);
        }

        if (_services.Get(ns, name) is null)
        {
            await CreateAsync(Kind.Service, MongoDbManifests.PrimaryService(db, sharded ? components.Single(c => c.IsMongos) : null), stop).ConfigureAwait(false);
        }

        var auth = ContainerEnvironment.Decoded(_secrets.Get(ns, MongoDbManifests.AuthSecretName(db)));
        if (auth is null || !auth.TryGetValue("username", out var user) || !auth.TryGetValue("password", out var password))
        {
            await _events.RecordAsync(db, "Warning", "AuthSecretMissing", $"waiting for secret {MongoDbManifests.AuthSecretName(db)} with keys username and password", stop).ConfigureAwait(false);
            await WriteStatusAsync(db, conditions, stop).ConfigureAwait(false);
            return;
        }

        var users = new Dictionary<string, string> { [user] = password };
        if (sharded)
        {
            var cluster = await EnsureShardedClusterAsync(db, components, users).ConfigureAwait(false);
            foreach (var set in cluster.Sets) await LabelRolesAsync(db, set, components.Single(c => c.Workload == set.Workload).Selectors, stop).ConfigureAwait(false);
        }
        else
        {
            var set = await EnsureReplicaSetAsync(db, components[0].Replicas, users).ConfigureAwait(false);
            await LabelRolesAsync(db, set, components[0].Selectors, stop).ConfigureAwait(false);
        }

        var petSet = _petSetByUid.GetOrAdd(J.Uid(db), _ => _workload switch
        {
            KubeDbWorkload.PetSet => true,
            KubeDbWorkload.StatefulSet => false,
            _ => J.Text(db["apiVersion"]) != "kubedb.com/v1alpha2",
        });
        var workloadKind = petSet ? Kind.PetSet : Kind.StatefulSet;
        // The routers come after the replica sets they route to are ready, as KubeDB makes them (its mongos waits for the
        // config server's primary and adds each shard).
        var members = components.Where(c => !c.IsMongos).ToList();
        var membersReady = members.All(c => J.Int((petSet ? _petSets : _sets).Get(ns, c.Workload)?["status"]?["readyReplicas"], 0) >= c.Replicas);
        var ready = 0;
        var replicas = 0;
        foreach (var component in components)
        {
            var workload = (petSet ? _petSets : _sets).Get(ns, component.Workload);
            if (workload is null && (membersReady || !component.IsMongos))
            {
                await CreateAsync(workloadKind, MongoDbManifests.Workload(db, petSet, component), stop).ConfigureAwait(false);
            }
            else if (workload is not null && J.Int(workload["spec"]?["replicas"], 1) != component.Replicas)
            {
                await _api.MergePatchAsync(workloadKind.Item(ns, component.Workload), new JsonObject { ["spec"] = new JsonObject { ["replicas"] = component.Replicas } }, stop).ConfigureAwait(false);
            }

            ready += Math.Min(J.Int(workload?["status"]?["readyReplicas"], 0), component.Replicas);
            replicas += component.Replicas;
        }

        SetCondition(conditions, KubeDbPhase.ReplicaReady, ready >= replicas, ready >= replicas ? "AllReplicasReady" : "SomeReplicasNotReady",
            ready >= replicas ? "All desired replicas are ready." : $"{ready} of {replicas} replicas are ready", db);
        var accepting = await AcceptsConnectionsAsync(ns, name).ConfigureAwait(false);
        SetCondition(conditions, KubeDbPhase.AcceptingConnection, accepting, accepting ? "DatabaseAcceptingConnectionRequest" : "DatabaseNotAcceptingConnectionRequest",
            accepting ? "database accepts connections through its primary service" : "database does not accept connections through its primary service", db);
        var serving = accepting && ready >= replicas;
        var restoring = spec["init"]?["archiver"] is JsonObject;
        if (restoring && serving && !Has(conditions, KubeDbPhase.DataRestored))
        {
            // Archiver is the initializer here: it reports the end of its restore in status.archiver (DatabaseActor.Restore).
            switch (J.Text(db["status"]?["archiver"]?["phase"]))
            {
                case "Restored":
                    conditions.RemoveAll(c => J.Text(c["type"]) == KubeDbPhase.DataRestoreStarted);
                    SetCondition(conditions, KubeDbPhase.DataRestored, true, "SuccessfullyDataRestored", "Successfully restored data by Archiver", db);
                    break;
                case "RestoreFailed":
                    conditions.RemoveAll(c => J.Text(c["type"]) == KubeDbPhase.DataRestoreStarted);
                    SetCondition(conditions, KubeDbPhase.DataRestored, false, "FailedToRestoreData", "Archiver reported the restore failed", db);
                    break;
                default:
                    SetCondition(conditions, KubeDbPhase.DataRestoreStarted, true, "DataRestoreStartedByExternalInitializer", "Data restore started by Archiver (spec.init.archiver)", db);
                    break;
            }
        }

        var initialized = !restoring || IsTrue(conditions, KubeDbPhase.DataRestored);
        if (initialized || Has(conditions, KubeDbPhase.Provisioned))
        {
            SetCondition(conditions, KubeDbPhase.ReadyCondition, serving, serving ? "ReadinessCheckSucceeded" : "ReadinessCheckFailed",
                serving ? $"The MongoDB: {ns}/{name} is ready." : "The MongoDB is not ready", db);
            if (serving && !Has(conditions, KubeDbPhase.Provisioned))
            {
                SetCondition(conditions, KubeDbPhase.Provisioned, true, "DatabaseSuccessfullyProvisioned", $"The KubeDB operator has successfully provisioned MongoDB: {ns}/{name}", db);
            }
        }

        await WriteStatusAsync(db, conditions, stop).ConfigureAwait(false);
    }

    private async Task<DatabaseReplicaSet> EnsureReplicaSetAsync(JsonObject db, int replicas, IReadOnlyDictionary<string, string> users)
    {
        var key = $"{J.Namespace(db)}/{J.Name(db)}";
        if (_replicaSets.TryGetValue(key, out var existing)) return existing;
        await _starting.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_replicaSets.TryGetValue(key, out existing)) return existing;
            var members = Math.Clamp(replicas, 1, 7);
            var set = DatabaseReplicaSet.Create(J.Namespace(db), J.Name(db), J.Name(db), J.Text(db["spec"]?["replicaSet"]?["name"]), members,
                users, _electionTimeout, _log);
            set.Changed += Loop.Trigger;
            _replicaSets[key] = set;
            _log.Write($"kubedb: {key}: replica set {J.Text(db["spec"]?["replicaSet"]?["name"])} of {members} members, user {users.Keys.Single()}");
            return set;
        }
        finally
        {
            _starting.Release();
        }
    }

    /// <summary>
    /// A sharded database's replica sets (the config server's, each shard's) and its routers, made once with the
    /// counts the MongoDB had then: KubeDB changes a sharded topology only through ops requests.
    /// </summary>
    private async Task<DatabaseShardedCluster> EnsureShardedClusterAsync(JsonObject db, IReadOnlyList<MongoDbComponent> components, IReadOnlyDictionary<string, string> users)
    {
        var key = $"{J.Namespace(db)}/{J.Name(db)}";
        if (_shardedClusters.TryGetValue(key, out var existing)) return existing;
        await _starting.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_shardedClusters.TryGetValue(key, out existing)) return existing;
            DatabaseReplicaSet SetOf(MongoDbComponent component)
            {
                var set = DatabaseReplicaSet.Create(J.Namespace(db), J.Name(db), component.Workload, component.ReplicaSet!, Math.Clamp(component.Replicas, 1, 7), users, _electionTimeout, _log);
                set.Changed += Loop.Trigger;
                return set;
            }

            var mongos = components.Single(c => c.IsMongos);
            var cluster = new DatabaseShardedCluster(J.Namespace(db), J.Name(db), SetOf(components.Single(c => c.NodeType == "configsvr")),
                [.. components.Where(c => c.NodeType == "shard").Select(SetOf)], mongos.Workload, mongos.Replicas, _log);
            _shardedClusters[key] = cluster;
            _log.Write($"kubedb: {key}: sharded cluster of {cluster.Shards.Count} shards of {cluster.Shards[0].Members} members, config server of {cluster.ConfigServer.Members}, {cluster.Mongos} routers, user {users.Keys.Single()}");
            return cluster;
        }
        finally
        {
            _starting.Release();
        }
    }

    /// <summary>What KubeDB's replication-mode-detector sidecar does: each member's pod labelled by its state.</summary>
    private async Task LabelRolesAsync(JsonObject db, DatabaseReplicaSet set, IReadOnlyDictionary<string, string> selectors, CancellationToken stop)
    {
        var ns = J.Namespace(db);
        // Not started before its first member: no pod to label yet.
        if (set.Emulator is not { } emulator) return;
        var primary = emulator.PrimaryIndex;
        foreach (var pod in _pods.InNamespace(ns).Where(p => selectors.All(s => J.Labels(p).GetValueOrDefault(s.Key) == s.Value) && !J.Deleting(p)))
        {
            if (!int.TryParse(J.Labels(pod).GetValueOrDefault("apps.kubernetes.io/pod-index"), out var ordinal) || ordinal >= set.Members) continue;
            if (!emulator.IsMemberUp(ordinal) || emulator.MemberEndPoint(ordinal)?.Address.ToString() != J.Text(pod["status"]?["podIP"])) continue;
            var role = ordinal == primary ? "primary" : "standby";
            if (J.Labels(pod).GetValueOrDefault(MongoDbManifests.RoleLabel) == role) continue;
            await _api.MergePatchAsync(Kind.Pod.Item(ns, J.Name(pod)), new JsonObject
            {
                ["metadata"] = new JsonObject { ["uid"] = J.Uid(pod), ["labels"] = new JsonObject { [MongoDbManifests.RoleLabel] = role } },
            }, stop).ConfigureAwait(false);
            _log.Write($"kubedb: {ns}/{J.Name(pod)} is {role}");
        }
    }

    /// <summary>A real ping through the primary Service, as KubeDB's health checker connects to the database.</summary>
    private async Task<bool> AcceptsConnectionsAsync(string ns, string name) =>
        _network.ServiceAddress(ns, name) is { } address && await MongoWire.PingAsync(new IPEndPoint(address, 27017), TimeSpan.FromSeconds(2)).ConfigureAwait(false);

    private async Task WriteStatusAsync(JsonObject db, List<JsonObject> conditions, CancellationToken stop)
    {
        var status = new JsonObject
        {
            ["phase"] = KubeDbPhase.FromConditions(conditions),
            ["observedGeneration"] = db["metadata"]?["generation"]?.DeepClone(),
            ["conditions"] = new JsonArray([.. conditions]),
        };
        var old = db["status"] as JsonObject ?? [];
        if (JsonNode.DeepEquals(old["phase"], status["phase"]) && JsonNode.DeepEquals(old["conditions"], status["conditions"])
            && JsonNode.DeepEquals(old["observedGeneration"], status["observedGeneration"]))
        {
            return;
        }

        if (J.Text(old["phase"]) != J.Text(status["phase"])) _log.Write($"kubedb {J.Namespace(db)}/{J.Name(db)}: phase {J.Text(status["phase"])}");
        // A merge patch of KubeDB's own fields: status.archiver is Archiver's and stays as it wrote it.
        await _api.MergePatchAsync(Kind.MongoDB.Status(J.Namespace(db), J.Name(db)),
            new JsonObject { ["metadata"] = new JsonObject { ["uid"] = J.Uid(db) }, ["status"] = status }, stop).ConfigureAwait(false);
    }

    private async Task CreateAsync(Kind kind, JsonObject item, CancellationToken stop)
    {
        try
        {
            await _api.CreateAsync(kind.Collection(J.Text(item["metadata"]?["namespace"])), item, stop).ConfigureAwait(false);
            _log.Write($"kubedb: created {kind.Name} {J.Text(item["metadata"]?["namespace"])}/{J.Text(item["metadata"]?["name"])}");
        }
        catch (ApiException e) when (e.Code == 409)
        {
            // Made by an earlier pass whose change the cache has not shown yet.
        }
    }

    private void SetCondition(List<JsonObject> conditions, string type, bool value, string reason, string message, JsonObject db)
    {
        var status = value ? "True" : "False";
        var existing = conditions.FirstOrDefault(c => J.Text(c["type"]) == type);
        var since = existing is not null && J.Text(existing["status"]) == status ? J.Text(existing["lastTransitionTime"]) : J.Now(_time);
        var condition = new JsonObject
        {
            ["type"] = type,
            ["status"] = status,
            ["reason"] = reason,
            ["message"] = message,
            ["observedGeneration"] = db["metadata"]?["generation"]?.DeepClone(),
            ["lastTransitionTime"] = since,
        };
        if (existing is null) conditions.Add(condition);
        else conditions[conditions.IndexOf(existing)] = condition;
    }

    private static bool Has(List<JsonObject> conditions, string type) => conditions.Any(c => J.Text(c["type"]) == type);

    private static bool IsTrue(List<JsonObject> conditions, string type) => conditions.Any(c => J.Text(c["type"]) == type && J.Text(c["status"]) == "True");
}

/// <summary>Which workload KubeDB's stand-in runs a MongoDB's members in.</summary>
public enum KubeDbWorkload
{
    /// <summary>As the version the MongoDB was written in: <c>v1alpha2</c> a StatefulSet (KubeDB before mid-2024), <c>v1</c> a PetSet.</summary>
    Auto,

    /// <summary>Always an <c>apps/v1</c> StatefulSet.</summary>
    StatefulSet,

    /// <summary>Always a <c>apps.k8s.appscode.com/v1</c> PetSet.</summary>
    PetSet,
}
