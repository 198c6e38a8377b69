using System.Diagnostics;
using System.Net;
using System.Runtime.Versioning;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;
using Archiver.Emulators.Cluster.CertManager;
using Archiver.Emulators.Cluster.Controllers;
using Archiver.Emulators.Cluster.KubeDb;
using Archiver.Emulators.Cluster.Kubelet;
using Archiver.Emulators.Cluster.Network;
using Archiver.Emulators.Cluster.Snapshots;
using Archiver.Emulators.Kubernetes;
using Archiver.Emulators.MongoDb;

namespace Archiver.Emulators.Cluster;

/// <summary>
/// A stand-in for a Kubernetes cluster with KubeDB, on this one machine, for running the real product as it runs in
/// pods, where no cluster and no MongoDB can run: the API server stand-in (<see cref="KubernetesEmulator"/>, with
/// RBAC, tokens and TLS), the controllers a cluster runs (StatefulSet, KubeDB's PetSet, Job, claim binding, namespace
/// defaults), one node's kubelet running pods as processes of this machine in private mount namespaces (the archiver's
/// image as the built <c>archiver.dll</c>, MongoDB's image as members of emulated replica sets), the cluster's names in
/// the machine's hosts file, Services through small TCP proxies (where the API server stand-in also reaches webhook
/// Services), a stand-in for KubeDB's MongoDB provisioner, one for cert-manager (issuers, certificates, cainjector), and
/// CSI volume snapshots (the snapshot controller, a CSI driver whose volumes and snapshots are folders, its
/// csi-snapshotter and the external-provisioner's restores from snapshots, as service accounts with their own RBAC). It
/// is a stand-in, not a cluster: see docs/emulators.md for what it does and what it knowingly does not. Linux only, as
/// root (mount namespaces, bind mounts, the hosts file).
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ClusterStandIn : IAsyncDisposable
{
    private readonly ClusterStandInOptions _options;
    private readonly List<IDisposable> _clients;
    private readonly ClusterInformers _informers;
    private readonly CertManagerInformers _certManagerInformers;
    private readonly IReadOnlyList<Informer> _snapshotInformers;
    private readonly CsiDriver _driver;
    private readonly AddressPool _addresses;
    private readonly ClusterNetwork _network;
    private readonly KubeDbController _kubeDb;
    private readonly Kubelet.Kubelet _kubelet;
    private readonly KubeletServices _services;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly string _stateFolder;
    private readonly bool _ownsStateFolder;
    private int _disposed;

    private ClusterStandIn(ClusterStandInOptions options, KubernetesEmulator api, string id, string stateFolder, bool ownsStateFolder, StandInLog log)
    {
        _options = options;
        Api = api;
        Id = id;
        Log = log;
        _stateFolder = stateFolder;
        _ownsStateFolder = ownsStateFolder;
        var ca = api.CertificateAuthorityPem!;
        ApiClient Client(string user) => new(api.Url, api.IssueToken(user, "system:masters"), ca);
        // Each component with a name of its own, as in a cluster; all in system:masters, since the API server stand-in
        // has none of the bootstrap roles (system:kube-controller-manager, system:node) that would grant them less.
        var controllerManager = Client("system:kube-controller-manager");
        var kubeletClient = Client("system:node:standin-node");
        var kubeDbClient = Client("system:serviceaccount:kubedb:kubedb-operator");
        var certManagerClient = Client("system:serviceaccount:cert-manager:cert-manager");
        // The snapshot machinery's identities are service accounts held to their manifests' ClusterRoles.
        var (controllerToken, sidecarToken, provisionerToken) = SnapshotAccounts.Install(api);
        var snapshotController = new ApiClient(api.Url, controllerToken, ca);
        var snapshotSidecar = new ApiClient(api.Url, sidecarToken, ca);
        var snapshotProvisioner = new ApiClient(api.Url, provisionerToken, ca);
        _clients = [controllerManager, kubeletClient, kubeDbClient, certManagerClient, snapshotController, snapshotSidecar, snapshotProvisioner];
        _informers = new ClusterInformers(controllerManager, log);
        _certManagerInformers = new CertManagerInformers(certManagerClient, log);
        _addresses = new AddressPool();
        var hosts = new HostsFile(options.HostsFile, id);
        _network = new ClusterNetwork(_informers.Pods, _informers.Services, _addresses, hosts, log);
        var events = new Events(controllerManager, log, options.Time);
        _kubeDb = new KubeDbController(_informers, kubeDbClient, _network, new Events(kubeDbClient, log, options.Time), log, options.Time, options.KubeDbWorkload, options.ElectionTimeout);
        _services = new KubeletServices
        {
            Api = kubeletClient,
            ApiServer = api,
            ApiEndPoint = new IPEndPoint(IPAddress.Loopback, api.Url.Port),
            CaPem = ca,
            Secrets = _informers.Secrets,
            ConfigMaps = _informers.ConfigMaps,
            Claims = _informers.Claims,
            ServiceAccounts = _informers.ServiceAccounts,
            Network = _network,
            Images = new ImageCatalog(options.ArchiverImages, options.MongoImages),
            Members = _kubeDb,
            ArchiverAssembly = options.ArchiverAssembly ?? FindArchiver(),
            DotnetHost = DotnetHost(),
            StateFolder = stateFolder,
            StandInId = id,
            Log = log,
            Time = options.Time,
            RestartBackoff = options.RestartBackoff,
        };
        _kubelet = new Kubelet.Kubelet(_informers.Pods, _services);
        var driver = _driver = new CsiDriver(options.CsiDriver, stateFolder, _services.VolumeFolder, options.Time, options.SnapshotReadyDelay);
        Informer Watch(ApiClient client, Kind kind) => new(client, kind, log);
        var controllerInformers = new[] { Kind.VolumeSnapshotClass, Kind.VolumeSnapshot, Kind.VolumeSnapshotContent, Kind.Claim }.Select(k => Watch(snapshotController, k)).ToList();
        var sidecarInformers = new[] { Kind.VolumeSnapshotClass, Kind.VolumeSnapshotContent }.Select(k => Watch(snapshotSidecar, k)).ToList();
        _snapshotInformers = [.. controllerInformers, .. sidecarInformers];
        var claimBinder = new ClaimBinder(_informers.Claims, controllerManager, driver,
            new SnapshotProvisioner(snapshotProvisioner, new Events(snapshotProvisioner, log, options.Time, $"{driver.Name}_csi-provisioner"), driver, log), log);
        // A claim waiting for a snapshot is tried again when snapshots change, as the provisioner retries it.
        controllerInformers[1].Changed += (_, _) => claimBinder.Loop.Trigger();
        Loops =
        [
            _network.Loop,
            new NamespaceDefaults(_informers.Namespaces, _informers.ServiceAccounts, _informers.ConfigMaps, controllerManager, ca, log).Loop,
            claimBinder.Loop,
            new SnapshotController(controllerInformers[0], controllerInformers[1], controllerInformers[2], controllerInformers[3], snapshotController,
                new Events(snapshotController, log, options.Time, "snapshot-controller"), driver.Name, log, options.Time).Loop,
            new CsiSnapshotter(sidecarInformers[0], sidecarInformers[1], snapshotSidecar, new Events(snapshotSidecar, log, options.Time, $"csi-snapshotter {driver.Name}"), driver, log, options.Time).Loop,
            new StatefulSetController(Kind.StatefulSet, _informers.StatefulSets, _informers.Pods, _informers.Claims, _informers.ServiceAccounts, controllerManager, events, log).Loop,
            new StatefulSetController(Kind.PetSet, _informers.PetSets, _informers.Pods, _informers.Claims, _informers.ServiceAccounts, controllerManager, events, log).Loop,
            new JobController(_informers.Jobs, _informers.Pods, _informers.ServiceAccounts, controllerManager, events, log, options.Time).Loop,
            _kubeDb.Loop,
            new CertificateController(_certManagerInformers, certManagerClient, log, options.Time).Loop,
            new CaInjector(_certManagerInformers, certManagerClient, ca, log).Loop,
            _kubelet.Loop,
        ];
    }

    /// <summary>The API server stand-in: its URL, kubeconfig, tokens and test hooks (<see cref="KubernetesEmulator.Authorized"/>).</summary>
    public KubernetesEmulator Api { get; }

    /// <summary>This stand-in's name in the hosts file and in its processes' environment (<c>ARCHIVER_STANDIN</c>).</summary>
    public string Id { get; }

    /// <summary>What the controllers and the kubelet did, line by line.</summary>
    public StandInLog Log { get; }

    /// <summary>The admin's token (<c>kubernetes-admin</c>, <c>system:masters</c>), the one <see cref="Kubeconfig"/> carries.</summary>
    public string AdminToken { get; private init; } = "";

    /// <summary>The pod network's second byte: pods are at <c>127.{prefix}.x.y</c>.</summary>
    public int NetworkPrefix => _addresses.Prefix;

    internal IReadOnlyList<ReconcileLoop> Loops { get; }

    /// <summary>A kubeconfig for this cluster, with the admin's token or the one given (e.g. a service account's).</summary>
    public string Kubeconfig(string? token = null) => Api.Kubeconfig(token);

    public static async Task<ClusterStandIn> StartAsync(ClusterStandInOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= new ClusterStandInOptions();
        Preflight();
        var id = $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        var log = new StandInLog(options.LogWriter, options.Time);
        HostsFile.RemoveAbandoned(options.HostsFile);
        foreach (var pid in AbandonedProcesses()) KillGroup(pid);
        var ownsState = options.StateFolder is null;
        var state = options.StateFolder ?? Directory.CreateTempSubdirectory("archiver-cluster-").FullName;
        Directory.CreateDirectory(state);
        var adminToken = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        ClusterStandIn? started = null;
        var api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions
        {
            Port = options.ApiPort,
            AdminToken = adminToken,
            Namespaces = options.Namespaces,
            CustomResourceDefinitions = [.. KubeDbResources.Definitions(), .. CertManagerResources.Definitions(), .. SnapshotResources.Definitions()],
            Rbac = true,
            Time = options.Time,
            // Webhook Services are reached where their proxy listens, as the API server reaches a Service's cluster IP.
            ResolveService = (ns, name) => started?._network.ServiceAddress(ns, name),
        }, cancellation).ConfigureAwait(false);
        var standIn = new ClusterStandIn(options, api, id, state, ownsState, log) { AdminToken = adminToken };
        started = standIn;
        AppDomain.CurrentDomain.ProcessExit += standIn.KillOnExit;
        try
        {
            var informers = standIn._informers.All.Concat(standIn._certManagerInformers.All).Concat(standIn._snapshotInformers).ToList();
            foreach (var informer in informers) standIn._loops.Add(informer.RunAsync(standIn._stop.Token));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            await Task.WhenAll(informers.Select(i => i.Synced)).WaitAsync(timeout.Token).ConfigureAwait(false);
            foreach (var loop in standIn.Loops) standIn._loops.Add(loop.RunAsync(standIn._stop.Token));
            log.Write($"cluster stand-in {id}: API server {api.Url}, pod network 127.{standIn.NetworkPrefix}.0.0/17, state in {state}");
            return standIn;
        }
        catch
        {
            await standIn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The replica set KubeDB's stand-in runs for a MongoDB (its emulator: primary, members up, data), or null.</summary>
    public MongoEmulator? ReplicaSetOf(string ns, string name) => _kubeDb.ReplicaSet(ns, name)?.Emulator;

    /// <summary>
    /// The replica sets KubeDB's stand-in runs for a sharded MongoDB, by workload (<c>{db}-configsvr</c>,
    /// <c>{db}-shard0</c>, ...): each one's emulator, null until its first member has come up; empty for a MongoDB that
    /// is not sharded (or not provisioned yet).
    /// </summary>
    public IReadOnlyDictionary<string, MongoEmulator?> ShardedReplicaSetsOf(string ns, string name) =>
        _kubeDb.ShardedCluster(ns, name)?.Sets.ToDictionary(s => s.Workload, s => s.Emulator) ?? [];

    /// <summary>The folder of a bound claim's volume (what a pod mounting the claim sees), or null while it is not bound.</summary>
    public string? VolumeFolderOf(string ns, string claim)
    {
        var bound = Api.Get(Kind.Claim.Item(ns, claim));
        var volume = bound?["spec"]?["volumeName"]?.GetValue<string>();
        return volume is { Length: > 0 } && bound?["status"]?["phase"]?.GetValue<string>() == "Bound" ? _driver.VolumeFolder(volume) : null;
    }

    /// <summary>Where the CSI driver keeps a snapshot's files (a content's <c>status.snapshotHandle</c>), or null when it has no such snapshot.</summary>
    public string? SnapshotFolderOf(string handle) => _driver.Snapshot(handle) is null ? null : _driver.SnapshotFolder(handle);

    /// <summary>
    /// Holds the CSI driver's cuts until the returned hold is disposed: a VolumeSnapshot asked for meanwhile stays uncut
    /// (its content <c>volumesnapshot-being-created</c>, no <c>creationTime</c>, no error), as on a storage system slow to
    /// cut, and is cut (copied) when released. The csi-snapshotter does nothing else meanwhile (one worker). For a test
    /// to act while a backup holds a member fsync-locked for its cut.
    /// </summary>
    public IDisposable HoldSnapshotCuts() => _driver.HoldCuts();

    /// <summary>
    /// The CSI driver fails its next <paramref name="count"/> cuts of new snapshots (gRPC Unavailable, <paramref name="message"/>):
    /// a transient <c>status.error</c> the snapshot controllers clear once a later try succeeds.
    /// </summary>
    public void FailSnapshotCuts(int count, string message) => _driver.FailCuts(count, message);

    /// <summary>
    /// Kills a running container with SIGKILL (no SIGTERM, no grace period, as the OOM killer or a failing node does):
    /// it exits 137 and the kubelet restarts it or not as its pod's <c>restartPolicy</c> says. False when no such
    /// container runs.
    /// </summary>
    public Task<bool> KillContainerAsync(string ns, string pod, string container) =>
        _kubelet.WorkerOf(ns, pod)?.KillAsync(container) ?? Task.FromResult(false);

    /// <summary>What a container of a running pod printed so far (<c>kubectl logs</c> is not served), or null.</summary>
    public string? LogsOf(string ns, string pod, string container)
    {
        var folder = _kubelet.FolderOf(ns, pod);
        var path = folder is null ? null : Path.Combine(folder, "logs", $"{container}.log");
        if (path is null || !File.Exists(path)) return null;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Runs a command in a running container, as <c>kubectl exec</c> would (the API server stand-in does not serve
    /// <c>exec</c>): in the container's mount namespace with its environment, so it sees what the container sees.
    /// Null when no such container runs or it is a MongoDB member (only its ping probe can run there).
    /// </summary>
    public Task<(int ExitCode, string Output)?> ExecAsync(string ns, string pod, string container, params string[] command) =>
        _kubelet.WorkerOf(ns, pod)?.ExecAsync(container, command, TimeSpan.FromSeconds(30)) ?? Task.FromResult<(int, string)?>(null);

    /// <summary>Every process running for this stand-in's containers (by their <c>ARCHIVER_STANDIN</c> environment variable).</summary>
    public IReadOnlyList<int> Processes() => ProcessesOf(owner => owner == Id);

    /// <summary>
    /// Waits until the object at <paramref name="apiPath"/> satisfies <paramref name="condition"/> (null: until it is
    /// gone), looking at each change; on timeout, fails with the object and the stand-in's last log lines.
    /// </summary>
    public async Task<JsonObject?> WaitForAsync(string apiPath, Func<JsonObject?, bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var current = Api.Get(apiPath);
            if (condition(current)) return current;
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"{apiPath} did not reach the expected state within {timeout.TotalSeconds:0} s; it is:\n{current?.ToJsonString() ?? "(absent)"}\n"
                    + $"last stand-in log lines:\n{string.Join('\n', Log.Recent.TakeLast(40))}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100)).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        try
        {
            await _kubelet.StopAsync(_options.ShutdownGracePeriod).ConfigureAwait(false);
        }
        finally
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(_loops).ConfigureAwait(false);
            foreach (var pid in Processes()) KillGroup(pid);
            await _kubeDb.DisposeAsync().ConfigureAwait(false);
            await _network.DisposeAsync().ConfigureAwait(false);
            _addresses.Dispose();
            foreach (var client in _clients) client.Dispose();
            await Api.DisposeAsync().ConfigureAwait(false);
            RemoveMountPoints();
            if (_ownsStateFolder)
            {
                try
                {
                    Directory.Delete(_stateFolder, recursive: true);
                }
                catch (IOException e)
                {
                    Log.Write($"cluster stand-in {Id}: state folder {_stateFolder} not removed: {e.Message}");
                }
            }

            _stop.Dispose();
            Log.Write($"cluster stand-in {Id}: stopped");
        }
    }

    /// <summary>The mount points made on the machine for containers, emptiest and deepest first, if nothing else uses them.</summary>
    private void RemoveMountPoints()
    {
        foreach (var path in _services.CreatedMountPoints.Keys.OrderByDescending(p => p.Length))
        {
            try
            {
                if (File.Exists(path) && new FileInfo(path).Length == 0) File.Delete(path);
                else if (Directory.Exists(path) && !Directory.EnumerateFileSystemEntries(path).Any()) Directory.Delete(path);
            }
            catch (IOException)
            {
                // In use by another stand-in's container: it stays.
            }
        }
    }

    private void KillOnExit(object? sender, EventArgs e)
    {
        // The test host or the CLI is exiting without disposing: no process and no hosts line may outlive it.
        foreach (var pid in Processes()) KillGroup(pid);
        try
        {
            new HostsFile(_options.HostsFile, Id).Remove();
        }
        catch (IOException)
        {
            // The next stand-in removes the block of a process that is gone.
        }
    }

    private static void Preflight()
    {
        var uid = File.ReadAllLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal))?.Split('\t', StringSplitOptions.RemoveEmptyEntries);
        if (uid is null || uid.Length < 2 || uid[1] != "0")
        {
            throw new InvalidOperationException("the cluster stand-in runs as root: it bind-mounts volumes in mount namespaces (unshare) and writes the cluster's names into /etc/hosts");
        }

        foreach (var tool in new[] { "unshare", "setsid", "nsenter", "mount", "hostname" })
        {
            if (!(Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(folder => File.Exists(Path.Combine(folder, tool))))
            {
                throw new InvalidOperationException($"the cluster stand-in needs {tool} (util-linux) on the PATH");
            }
        }
    }

    private static string FindArchiver()
    {
        foreach (var folder in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(ClusterStandIn).Assembly.Location) ?? "" })
        {
            var path = Path.Combine(folder, "archiver.dll");
            if (File.Exists(path)) return path;
        }

        return Path.Combine(AppContext.BaseDirectory, "archiver.dll");
    }

    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    /// <summary>Processes whose <c>ARCHIVER_STANDIN</c> names a stand-in of a process that is gone.</summary>
    private static IReadOnlyList<int> AbandonedProcesses() =>
        ProcessesOf(owner => int.TryParse(owner.Split('-')[0], out var pid) && !Directory.Exists($"/proc/{pid}"));

    private static List<int> ProcessesOf(Func<string, bool> owner)
    {
        List<int> found = [];
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var environ = File.ReadAllText(Path.Combine(folder, "environ"));
                var entry = environ.Split('\0').FirstOrDefault(e => e.StartsWith("ARCHIVER_STANDIN=", StringComparison.Ordinal));
                if (entry is not null && owner(entry["ARCHIVER_STANDIN=".Length..].Split(' ')[0])) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }

        return found;
    }

    private static void KillGroup(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}
