using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster;
using Archiver.Messages.Validation;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Host.Cli;

/// <summary>
/// <c>archiver demo --cluster</c>: the whole job in cluster mode, on the cluster stand-in (src/Emulators/Cluster;
/// docs/emulators.md says what it is and is not). The product runs as it does in a cluster, unchanged: three archiver
/// pods from deploy/statefulset applied as written with kubectl, journaling to PostgreSQL; KubeDB's MongoDB replica
/// set of three; an S3 storage (s3rver) with encryption. The ops request injects the sidecar and rolls the database's
/// pods, the primary's sidecar archives the oplog, a full backup runs, the archiver pod hosting the database's
/// entity is deleted in the middle of an ops request, and a new MongoDB with <c>spec.init.archiver</c> is restored
/// to a moment between two rounds of writes and compared with the source as it was then.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ClusterDemo(TextWriter output, string folder, int documents, string driver = "Logical")
{
    private const string Namespace = "demo";
    private const string Source = "mg-rs";
    private const string Restored = "mg-rs-restored";
    private const string Database = "shop";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly string _token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
    private string _kubeconfig = "";
    private ClusterStandIn _cluster = null!;

    internal async Task<int> ExecuteAsync(CancellationToken cancellation)
    {
        var kubectl = DemoServers.CommandOnPath("kubectl") ?? throw new DemoServerMissing("kubectl is not on the PATH: the demo applies the manifests with it, as a user would");
        await StepAsync($"data folder {folder}");
        await using var servers = await DemoServers.StartAsync(folder, cancellation);
        await StepAsync($"PostgreSQL on 127.0.0.1 (the nodes' journal), s3rver at {servers.S3Endpoint} (bucket archiver-demo)");
        var log = new StreamWriter(Path.Combine(folder, "stand-in.log")) { AutoFlush = true };
        await using var logDisposal = log;
        await using var cluster = await ClusterStandIn.StartAsync(new ClusterStandInOptions
        {
            Namespaces = ["default", Namespace],
            StateFolder = Path.Combine(folder, "cluster"),
            ElectionTimeout = TimeSpan.FromSeconds(2),
            RestartBackoff = TimeSpan.FromSeconds(1),
            LogWriter = log,
        }, cancellation);
        _cluster = cluster;
        try
        {
            return await RunAsync(kubectl, servers, cancellation);
        }
        finally
        {
            await WriteAccessesAsync();
            await SaveLogsAsync();
        }
    }

    /// <summary>
    /// The archiver containers' logs of the pods still there at the end (the nodes' and the databases' sidecars), into the
    /// data folder's <c>logs/</c>: the stand-in's pods go with it, and a failed run is explained by them.
    /// </summary>
    private async Task SaveLogsAsync()
    {
        var logs = Directory.CreateDirectory(Path.Combine(folder, "logs")).FullName;
        foreach (var (ns, set) in new[] { ("archiver", "archiver"), (Namespace, Source), (Namespace, Restored) })
        {
            for (var i = 0; i < 3; i++)
            {
                if (_cluster.LogsOf(ns, $"{set}-{i}", "archiver") is { } log) await File.WriteAllTextAsync(Path.Combine(logs, $"{ns}.{set}-{i}.archiver.log"), log);
            }
        }
    }

    /// <summary>The file every request the API server allowed is written to: who, verb, group, resource, namespace, name.</summary>
    public const string AccessesFile = "api-accesses.tsv";

    /// <summary>
    /// What the product asked of the API server in this run, for the least privilege it needs (docs/cluster.md): the
    /// nodes' and the sidecars' service accounts only, each (verb, resource, namespace) once.
    /// </summary>
    private async Task WriteAccessesAsync()
    {
        var lines = _cluster.Api.Authorized
            // Not the stand-in's own operators (KubeDB's, cert-manager's): what they do is theirs to be granted.
            .Where(a => a.User.StartsWith("system:serviceaccount:", StringComparison.Ordinal)
                && !a.User.StartsWith("system:serviceaccount:kubedb:", StringComparison.Ordinal)
                && !a.User.StartsWith("system:serviceaccount:cert-manager:", StringComparison.Ordinal))
            .Select(a => string.Join('\t', a.User, a.Verb, a.Group, a.Subresource.Length > 0 ? $"{a.Resource}/{a.Subresource}" : a.Resource, a.Namespace, a.Name))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var path = Path.Combine(folder, AccessesFile);
        await File.WriteAllLinesAsync(path, ["# user\tverb\tgroup\tresource\tnamespace\tname", .. lines]);
        await StepAsync($"the API requests the archiver's service accounts made: {path}");
    }

    private async Task<int> RunAsync(string kubectl, DemoServers servers, CancellationToken cancellation)
    {
        var cluster = _cluster;
        _kubeconfig = Path.Combine(folder, "kubeconfig");
        await File.WriteAllTextAsync(_kubeconfig, cluster.Kubeconfig(), cancellation);
        await StepAsync($"cluster stand-in: API server {cluster.Api.Url}, pods on 127.{cluster.NetworkPrefix}.0.0/17, its log in {Path.Combine(folder, "stand-in.log")}");

        var manifests = await WriteManifestsAsync(servers, cancellation);
        // Not crds.yaml: it is for a cluster without KubeDB and KubeStash (deploy/statefulset/README.md), and the stand-in
        // serves their own CRDs, with every version KubeDB's operator writes.
        foreach (var name in new[] { "rbac.yaml", "secrets.yaml", "webhook-certificate.yaml", "webhook.yaml", "statefulset.yaml" })
        {
            await KubectlOrFailAsync(kubectl, cancellation, "apply", "-f", Path.Combine(manifests, name));
        }

        await WaitAsync("3 archiver pods ready (a 3-node Akka cluster on PostgreSQL)",
            () => Ready("/apis/apps/v1/namespaces/archiver/statefulsets/archiver", 3), cancellation);
        await KubectlOrFailAsync(kubectl, cancellation, "get", "pods", "-n", "archiver", "-o", "wide");

        await KubectlOrFailAsync(kubectl, cancellation, "apply", "-f", Path.Combine(manifests, "mongodb.yaml"));
        await WaitAsync($"KubeDB made {Namespace}/{Source} Ready (3 members)", () => Phase(Source) == "Ready", cancellation);
        var source = Client(Source);
        try
        {
            var workload = new DemoWorkload(source, Database, documents);
            var seeded = await workload.SeedAsync(cancellation);
            await StepAsync($"workload: {seeded:N0} documents written to {Database} through {Source}.{Namespace}.svc");

            await KubectlOrFailAsync(kubectl, cancellation, "apply", "-f", Path.Combine(manifests, "archiver.yaml"));
            var opsRequest = await WaitForAsync("the archiver's ConfigureArchiver ops request", () => OpsRequests().FirstOrDefault(), cancellation);
            var opsName = Text(opsRequest["metadata"]?["name"]);
            // As soon as it exists: its steps (the sidecar, the rolling restart of three members) are still ahead.
            var host = await EntityHostAsync("database", null, cancellation);
            var phaseThen = OpsPhase(opsName) is { Length: > 0 } p ? p : "Pending";
            await KubectlOrFailAsync(kubectl, cancellation, "delete", "pod", host, "-n", "archiver", "--grace-period=0", "--force");
            await StepAsync($"killed {host}, the archiver pod hosting {Namespace}/{Source}'s entity, with {opsName} {phaseThen}");
            if (phaseThen is "Successful" or "Failed") throw new DemoFailure($"ops request {opsName} had already ended ({phaseThen}) when {host} was killed: the demo proves nothing");
            await WaitAsync($"ops request {opsName} injected the sidecar and rolls {Source}'s pods", () => Rolling(Source) || OpsPhase(opsName) is "Successful" or "Failed", cancellation);
            await WaitAsync($"ops request {opsName} ended", () => OpsPhase(opsName) is "Successful" or "Failed", cancellation);
            if (OpsPhase(opsName) != "Successful") throw new DemoFailure($"ops request {opsName} ended {OpsPhase(opsName)}: {Conditions(Get(OpsPath(opsName)))}");
            var newHost = await EntityHostAsync("database", host, cancellation);
            await StepAsync($"ops request {opsName} Successful; {Namespace}/{Source}'s entity now on {newHost} (the StatefulSet brought {host} back as a new pod)");
            await WaitAsync($"{Namespace}/{Source} archiving: status.archiver.phase Archiving", () => ArchiverPhase(Source) == "Archiving", cancellation);
            await WaitAsync($"the primary's sidecar reports archiving", () => ArchivingPod(Source) is not null, cancellation);
            await KubectlOrFailAsync(kubectl, cancellation, "get", "pods", "-n", Namespace, "-L", "kubedb.com/role");
            await StepAsync($"the oplog is archived by {ArchivingPod(Source)}'s sidecar, the primary's; the others stand by");

            var node = $"http://{(newHost == host ? Survivor(host) : newHost)}.archiver.archiver.svc:7780";
            await CliOrFailAsync(node, cancellation, "backup", $"{Namespace}/{Source}");

            var roundOne = await workload.ChangeAsync(1, cancellation);
            await Task.Delay(30, cancellation);
            var expected = await DemoWorkload.ReadAsync(source, Database, cancellation);
            var target = DateTimeOffset.UtcNow;
            await Task.Delay(30, cancellation);
            await StepAsync($"round 1: {roundOne:N0} writes; then the target time {Rfc3339.Format(target)}; source then: {expected}");
            var roundTwo = await workload.ChangeAsync(2, cancellation);
            await workload.DropInventoryAsync(cancellation);
            var lastWrite = await LastWriteAsync(source, cancellation);
            var now = await DemoWorkload.ReadAsync(source, Database, cancellation);
            await StepAsync($"round 2: {roundTwo:N0} writes and the inventory collection dropped; source now: {now}");
            await WaitAsync($"oplog archived up to the last write ({Rfc3339.Format(lastWrite)})", () => ArchivedPast(Source, lastWrite), cancellation);
            await CliOrFailAsync(node, cancellation, "windows", $"{Namespace}/{Source}");

            var restore = Path.Combine(manifests, "mongodb-restored.yaml");
            await File.WriteAllTextAsync(restore, RestoreManifest(target), cancellation);
            await KubectlOrFailAsync(kubectl, cancellation, "apply", "-f", restore);
            await WaitAsync($"{Namespace}/{Restored} restored and Ready", () => Phase(Restored) is "Ready" || ArchiverPhase(Restored) == "RestoreFailed", cancellation);
            if (Phase(Restored) != "Ready")
            {
                var archiver = Get(MongoPath(Restored))?["status"]?["archiver"];
                throw new DemoFailure($"{Restored} was not restored: {archiver?["restore"]?.ToJsonString()} {Conditions(archiver?.AsObject())}; KubeDB: {Conditions(Get(MongoPath(Restored)))}{NodeLogs()}");
            }
            await KubectlOrFailAsync(kubectl, cancellation, "get", "mongodbs", "-n", Namespace);

            var restored = Client(Restored);
            try
            {
                var actual = await DemoWorkload.ReadAsync(restored, Database, cancellation);
                await StepAsync($"restored {Namespace}/{Restored}: {actual}");
                if (actual.Sha256 != expected.Sha256 || actual.Documents != expected.Documents)
                {
                    throw new DemoFailure($"{Restored} ({actual}) differs from {Source} at {Rfc3339.Format(target)} ({expected})");
                }

                if (now.Sha256 == expected.Sha256) throw new DemoFailure("round 2 changed nothing, so the comparison would prove nothing");
                await output.WriteLineAsync(
                    $"verified: {Namespace}/{Restored} equals {Namespace}/{Source} as it was at {Rfc3339.Format(target)}: "
                    + $"{expected.Collections.Count} collections, {expected.Documents:N0} documents and their indexes, sha256 {expected.Sha256} "
                    + $"(and differs from the source now, after round 2), in cluster mode{(Csi ? ", from a volume-snapshot base" : "")}, in {_clock.Elapsed.TotalSeconds:0.0} s");
                return ExitCodes.Ok;
            }
            finally
            {
                Dispose(restored);
            }
        }
        finally
        {
            Dispose(source);
        }
    }

    /// <summary>deploy/statefulset as built into this program, and the demo's own resources, in the data folder.</summary>
    private async Task<string> WriteManifestsAsync(DemoServers servers, CancellationToken cancellation)
    {
        var manifests = Path.Combine(folder, "manifests");
        Directory.CreateDirectory(manifests);
        var assembly = Assembly.GetExecutingAssembly();
        // Not crds.yaml: it is for a cluster without KubeDB and KubeStash (deploy/statefulset/README.md), and the stand-in
        // serves their own CRDs, with every version KubeDB's operator writes.
        foreach (var name in new[] { "rbac.yaml", "webhook-certificate.yaml", "webhook.yaml", "statefulset.yaml" })
        {
            await using var stream = assembly.GetManifestResourceStream($"statefulset/{name}") ?? throw new DemoFailure($"deploy/statefulset/{name} is missing from this build");
            using var reader = new StreamReader(stream);
            var text = await reader.ReadToEndAsync(cancellation);
            // The demo's nodes log at Information (their restores and hand-offs), kept in the data folder's logs/.
            if (name == "statefulset.yaml") text = text.Replace("            - run\n", "            - run\n            - --verbose\n", StringComparison.Ordinal);
            await File.WriteAllTextAsync(Path.Combine(manifests, name), text, cancellation);
        }

        // The two secrets deploy/statefulset/README.md has the user create.
        await File.WriteAllTextAsync(Path.Combine(manifests, "secrets.yaml"), $"""
            apiVersion: v1
            kind: Secret
            metadata: {Braces("name: archiver-postgres, namespace: archiver")}
            stringData: {Braces($"connection: \"{servers.PostgresConnection}\"")}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {Braces("name: archiver-token, namespace: archiver")}
            stringData: {Braces($"token: {_token}")}
            """, cancellation);
        await File.WriteAllTextAsync(Path.Combine(manifests, "mongodb.yaml"), MongoManifest(Source, "  labels: {archiver: \"true\"}\n", ""), cancellation);
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await File.WriteAllTextAsync(Path.Combine(manifests, "archiver.yaml"), $$"""
            # The S3 storage (s3rver on this machine), its objects encrypted, and the archiver that selects mg-rs.{{(Csi ? SnapshotClass : "")}}
            apiVersion: v1
            kind: Secret
            metadata: {name: s3-credentials, namespace: demo}
            stringData: {AWS_ACCESS_KEY_ID: S3RVER, AWS_SECRET_ACCESS_KEY: S3RVER}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: archiver-encryption, namespace: demo}
            stringData: {key: "{{key}}"}
            ---
            apiVersion: storage.kubestash.com/v1alpha1
            kind: BackupStorage
            metadata: {name: s3-storage, namespace: demo}
            spec:
              storage:
                provider: s3
                s3: {endpoint: "{{servers.S3Endpoint}}", bucket: archiver-demo, region: us-east-1, prefix: cluster-demo, secretName: s3-credentials, forcePathStyle: true}
              usagePolicy:
                allowedNamespaces: {from: Same}
              encryptionSecret: {name: archiver-encryption, namespace: demo}
              deletionPolicy: Delete
            ---
            apiVersion: storage.kubestash.com/v1alpha1
            kind: RetentionPolicy
            metadata: {name: keep-last-5, namespace: demo}
            spec:
              successfulSnapshots: {last: 5}
              usagePolicy:
                allowedNamespaces: {from: Same}
            ---
            apiVersion: archiver.kubedb.com/v1alpha1
            kind: MongoDBArchiver
            metadata: {name: archiver-demo, namespace: demo}
            spec:
              databases:
                selector:
                  matchLabels: {archiver: "true"}
                namespaces: {from: Same}
              retentionPolicy: {name: keep-last-5, namespace: demo}
              fullBackup:
                driver: {{driver}}{{(Csi ? "\n    csiSnapshotter: {volumeSnapshotClassName: standin-snapshots}" : "")}}
                scheduler: {schedule: "0 */6 * * *", concurrencyPolicy: Forbid}
              walBackup:
                config: {chunkMaxSize: 16Mi, chunkMaxAge: 1s, lagThreshold: 30s, headroomThreshold: 1h}
              backupStorage:
                ref: {apiGroup: storage.kubestash.com, kind: BackupStorage, name: s3-storage, namespace: demo}
                prefix: "db/$APP_KIND/$APP_NAMESPACE/$APP_NAME"
              deletionPolicy: Delete
            """, cancellation);
        return manifests;
    }

    private static string MongoManifest(string name, string metadata, string spec) => $$"""
        apiVersion: kubedb.com/v1alpha2
        kind: MongoDB
        metadata:
          name: {{name}}
          namespace: demo
        {{metadata}}spec:
          version: "7.0.12"
          replicas: 3
          replicaSet: {name: rs0}
          storage:
            accessModes: [ReadWriteOnce]
            resources:
              requests: {storage: 1Gi}
          deletionPolicy: WipeOut
        {{spec}}
        """;

    /// <summary>The full backups are volume snapshots (<c>--driver CSISnapshotter</c>).</summary>
    private bool Csi => driver == "CSISnapshotter";

    /// <summary>The class of the stand-in's CSI driver (csi-driver-host-path's name), for the archiver's volume snapshots.</summary>
    private const string SnapshotClass = """

        apiVersion: snapshot.storage.k8s.io/v1
        kind: VolumeSnapshotClass
        metadata: {name: standin-snapshots}
        driver: hostpath.csi.k8s.io
        deletionPolicy: Delete
        ---
        """;

    // A base taken by volume snapshot brings the source's users with it: the restored database uses the source's secret.
    private string RestoreManifest(DateTimeOffset target) => MongoManifest(Restored, "", $$"""
        {{(Csi ? "  authSecret: {name: mg-rs-auth}\n" : "")}}  init:
            archiver:
              recoveryTimeStamp: "{{Rfc3339.Format(target)}}"
              repository: {name: s3-storage, namespace: demo}
              prefix: db/MongoDB/demo/mg-rs
              encryptionSecret: {name: archiver-encryption, namespace: demo}
        """);

    private static string Braces(string text) => "{" + text + "}";

    private JsonObject? Get(string path) => _cluster.Api.Get(path);

    private static string MongoPath(string name) => $"/apis/kubedb.com/v1alpha2/namespaces/{Namespace}/mongodbs/{name}";

    private static string OpsPath(string name) => $"/apis/ops.kubedb.com/v1alpha1/namespaces/{Namespace}/mongodbopsrequests/{name}";

    private string Phase(string mongo) => Text(Get(MongoPath(mongo))?["status"]?["phase"]);

    private string ArchiverPhase(string mongo) => Text(Get(MongoPath(mongo))?["status"]?["archiver"]?["phase"]);

    private string OpsPhase(string name) => Text(Get(OpsPath(name))?["status"]?["phase"]);

    private IEnumerable<JsonObject> OpsRequests() => _cluster.Api.List($"/apis/ops.kubedb.com/v1alpha1/namespaces/{Namespace}/mongodbopsrequests");

    private bool Ready(string workload, int replicas) =>
        Get(workload)?["status"] is JsonObject status && (int?)status["readyReplicas"] == replicas;

    /// <summary>The pod template carries the sidecar and the rollout to it has begun.</summary>
    private bool Rolling(string mongo)
    {
        var set = Get($"/apis/apps/v1/namespaces/{Namespace}/statefulsets/{mongo}");
        var containers = (set?["spec"]?["template"]?["spec"]?["containers"] as JsonArray ?? []).Select(c => Text(c?["name"]));
        return containers.Contains("archiver") && Text(set?["status"]?["updateRevision"]) != Text(set?["status"]?["currentRevision"]);
    }

    private bool ArchivedPast(string mongo, DateTimeOffset lastWrite) =>
        (Get(MongoPath(mongo))?["status"]?["archiver"]?["recoverableWindows"] as JsonArray ?? [])
        .Any(w => DateTimeOffset.TryParse(Text(w?["end"]), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var end) && end >= lastWrite);

    private string? ArchivingPod(string mongo) =>
        _cluster.Api.List($"/api/v1/namespaces/{Namespace}/pods")
        .Where(p => Text(p["metadata"]?["name"]).StartsWith(mongo + "-", StringComparison.Ordinal))
        .FirstOrDefault(p => Text(p["metadata"]?["annotations"]?["archiver.kubedb.com/report"]).Contains("\"standby\":false", StringComparison.Ordinal)) is { } pod
            ? Text(pod["metadata"]?["name"])
            : null;

    /// <summary>An archiver pod other than <paramref name="killed"/> (which may still be starting again).</summary>
    private static string Survivor(string killed) => killed == "archiver-0" ? "archiver-1" : "archiver-0";

    private static string Conditions(JsonObject? resource) =>
        string.Join("; ", (resource?["status"]?["conditions"] as JsonArray ?? resource?["conditions"] as JsonArray ?? [])
            .Select(c => $"{Text(c?["type"])}={Text(c?["status"])} {Text(c?["message"])}"));

    /// <summary>Which archiver pod hosts an entity, from the inspection endpoint of any ready node.</summary>
    private async Task<string> EntityHostAsync(string kind, string? notOn, CancellationToken cancellation)
    {
        string? host = null;
        await WaitQuietlyAsync(async () =>
        {
            foreach (var pod in Enumerable.Range(0, 3).Select(i => $"archiver-{i}").Where(p => p != notOn))
            {
                try
                {
                    using var client = new NodeClient(new Uri($"http://{pod}.archiver.archiver.svc:7780"), _token);
                    var entity = await client.GetAsync<JsonObject>($"/inspect/entity/{kind}/{Namespace}/{Source}", cancellation);
                    // The member's address names the pod (--advertise-host in statefulset.yaml).
                    if (Text(entity["node"]) is { Length: > 0 } node) host = new Uri(node).Host.Split('.')[0];
                    if (host is not null) return true;
                }
                catch (Exception e) when (e is HttpRequestException or CommandFailure or TaskCanceledException)
                {
                    // That node is not serving (yet, or any more): ask the next.
                }
            }

            return false;
        }, $"the archiver pod hosting {Namespace}/{Source}'s {kind} entity", cancellation);
        return host!;
    }

    private MongoClient Client(string mongo)
    {
        // KubeDB's auth secret: the one spec.authSecret names (a restore from a volume snapshot keeps the source's), else {db}-auth.
        var name = Text(Get(MongoPath(mongo))?["spec"]?["authSecret"]?["name"]) is { Length: > 0 } named ? named : $"{mongo}-auth";
        var secret = Get($"/api/v1/namespaces/{Namespace}/secrets/{name}")?["data"];
        string Decoded(string key) => Encoding.UTF8.GetString(Convert.FromBase64String(Text(secret?[key])));
        var settings = MongoClientSettings.FromConnectionString(
            $"mongodb://{Uri.EscapeDataString(Decoded("username"))}:{Uri.EscapeDataString(Decoded("password"))}@{mongo}-pods.{Namespace}.svc:27017/?replicaSet=rs0&authSource=admin");
        settings.ServerSelectionTimeout = TimeSpan.FromSeconds(30);
        // Through the primary Service's name, as an application in the cluster would; the driver finds the members.
        settings.Servers = [new MongoServerAddress($"{mongo}.{Namespace}.svc", 27017)];
        return new MongoClient(settings);
    }

    private static async Task<DateTimeOffset> LastWriteAsync(IMongoClient client, CancellationToken cancellation)
    {
        var last = await client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs")
            .Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("$natural", -1)).Limit(1).FirstAsync(cancellation);
        return new DateTimeOffset(last["wall"].ToUniversalTime());
    }

    private async Task WaitAsync(string what, Func<bool> done, CancellationToken cancellation)
    {
        await WaitQuietlyAsync(() => Task.FromResult(done()), what, cancellation);
        await StepAsync(what);
    }

    private async Task<JsonObject> WaitForAsync(string what, Func<JsonObject?> find, CancellationToken cancellation)
    {
        JsonObject? found = null;
        await WaitQuietlyAsync(() => Task.FromResult((found = find()) is not null), what, cancellation);
        await StepAsync($"{what}: {Text(found!["metadata"]?["name"])}");
        return found!;
    }

    private async Task WaitQuietlyAsync(Func<Task<bool>> done, string what, CancellationToken cancellation)
    {
        var deadline = _clock.Elapsed + Patience;
        while (!await done())
        {
            if (_clock.Elapsed > deadline)
            {
                throw new DemoFailure($"timed out after {Patience.TotalSeconds:0} s waiting for: {what}\nlast stand-in log lines:\n{string.Join('\n', _cluster.Log.Recent.TakeLast(25))}{NodeLogs()}");
            }

            await Task.Delay(200, cancellation);
        }
    }

    /// <summary>The archiver pods' last log lines (<c>kubectl logs</c> is not served by the stand-in), for a failure's message.</summary>
    private string NodeLogs() =>
        string.Concat(new[] { ("archiver", "archiver"), (Namespace, Source), (Namespace, Restored) }
            .SelectMany(p => Enumerable.Range(0, 3).Select(i => (Namespace: p.Item1, Pod: $"{p.Item2}-{i}")))
            .Select(p => _cluster.LogsOf(p.Namespace, p.Pod, "archiver") is { } log
                ? $"\n{p.Namespace}/{p.Pod} archiver's last log lines:\n{string.Join('\n', log.Split('\n').TakeLast(12))}"
                : ""));

    private async Task KubectlOrFailAsync(string kubectl, CancellationToken cancellation, params string[] args)
    {
        await StepAsync($"$ kubectl {string.Join(' ', args)}");
        var start = new ProcessStartInfo(kubectl) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--kubeconfig", _kubeconfig, "--cache-dir", Path.Combine(folder, "kubectl-cache") }.Concat(args)) start.ArgumentList.Add(arg);
        start.Environment.Remove("KUBECONFIG");
        using var process = Process.Start(start) ?? throw new DemoFailure($"{kubectl} did not start");
        var text = process.StandardOutput.ReadToEndAsync(cancellation);
        var error = process.StandardError.ReadToEndAsync(cancellation);
        await process.WaitForExitAsync(cancellation);
        foreach (var line in (await text).Split('\n', StringSplitOptions.RemoveEmptyEntries)) await output.WriteLineAsync("        " + line);
        if (process.ExitCode != 0) throw new DemoFailure($"'kubectl {string.Join(' ', args)}' exited {process.ExitCode}: {(await error).Trim()}");
    }

    private async Task CliOrFailAsync(string node, CancellationToken cancellation, params string[] args)
    {
        await StepAsync($"$ archiver {string.Join(' ', args)} --node {node}");
        var code = await ArchiverCli.RunAsync([.. args, "--node", node, "--token", _token], output, output, cancellation);
        if (code != ExitCodes.Ok) throw new DemoFailure($"'archiver {string.Join(' ', args)}' exited {code}{NodeLogs()}");
    }

    private Task StepAsync(string text) => output.WriteLineAsync($"[{_clock.Elapsed.TotalSeconds,5:0.0}s] {text}");

    private static string Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";

    private static void Dispose(MongoClient client) => ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
}
