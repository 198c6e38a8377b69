using System.Net;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.Network;

/// <summary>
/// The cluster's network, as far as names and Services go: it computes what the cluster DNS would answer from the
/// pods and Services (CoreDNS's kubernetes plugin: <c>service.ns.svc</c>, a headless Service's ready endpoints and
/// their <c>hostname.subdomain.ns.svc</c> names; ClusterIP Services at an address of their own, where a
/// <see cref="ServiceProxy"/> forwards) and writes it into the machine's hosts file and every pod's own hosts file.
/// A pod's own file also maps <c>localhost</c> to the pod's address: pods here share the machine's loopback, so that
/// is how "my own pod" stays reachable by name, as a pod's private network namespace makes it.
/// </summary>
internal sealed class ClusterNetwork : IAsyncDisposable
{
    private static readonly string[] Domains = ["svc", "svc.cluster.local"];
    private readonly Informer _pods;
    private readonly Informer _services;
    private readonly HostsFile? _hosts;
    private readonly StandInLog _log;
    private readonly Dictionary<string, (ServiceProxy Proxy, string Ports)> _proxies = [];
    private readonly Dictionary<string, PodHosts> _podFiles = [];
    private readonly Lock _sync = new();
    private IReadOnlyList<(string Address, string Names)> _records = [];

    public ClusterNetwork(Informer pods, Informer services, AddressPool addresses, HostsFile? hosts, StandInLog log)
    {
        _pods = pods;
        _services = services;
        Addresses = addresses;
        _hosts = hosts;
        _log = log;
        Loop = new ReconcileLoop("network", ReconcileAsync, TimeSpan.FromSeconds(5), log);
        pods.Changed += (_, _) => Loop.Trigger();
        services.Changed += (_, _) => Loop.Trigger();
    }

    public AddressPool Addresses { get; }

    public ReconcileLoop Loop { get; }

    /// <summary>Where a ClusterIP Service listens here (its name resolves there), or null.</summary>
    public IPAddress? ServiceAddress(string ns, string name)
    {
        lock (_sync)
        {
            return _proxies.TryGetValue($"{ns}/{name}", out var proxy) ? proxy.Proxy.Address : null;
        }
    }

    /// <summary>Gives a pod its own hosts file (kept up to date from now on), as the kubelet writes one per pod.</summary>
    public void Register(string podUid, string path, IPAddress address, string ownNames)
    {
        var pod = new PodHosts(path, address.ToString(), ownNames);
        lock (_sync)
        {
            _podFiles[podUid] = pod;
            Write(pod, _records);
        }
    }

    public void Unregister(string podUid)
    {
        lock (_sync)
        {
            _podFiles.Remove(podUid);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<ServiceProxy> proxies;
        lock (_sync)
        {
            proxies = [.. _proxies.Values.Select(p => p.Proxy)];
            _proxies.Clear();
        }

        foreach (var proxy in proxies) await proxy.DisposeAsync().ConfigureAwait(false);
        _hosts?.Remove();
    }

    private async Task ReconcileAsync(CancellationToken stop)
    {
        var services = _services.Items();
        var pods = _pods.Items();
        await SyncProxiesAsync(services).ConfigureAwait(false);
        var records = new List<(string, string)>();
        foreach (var service in services)
        {
            var ns = J.Namespace(service);
            var name = J.Name(service);
            if (J.Text(service["spec"]?["clusterIP"]) == "None")
            {
                var publishNotReady = J.Bool(service["spec"]?["publishNotReadyAddresses"], false);
                foreach (var pod in pods.Where(p => J.Namespace(p) == ns && J.SelectsMap(service["spec"]?["selector"], J.Labels(p))))
                {
                    var ip = J.Text(pod["status"]?["podIP"]);
                    if (ip.Length == 0 || J.Deleting(pod) || !(publishNotReady || PodReady(pod))) continue;
                    var names = Domains.Select(d => $"{name}.{ns}.{d}").ToList();
                    var hostname = J.Text(pod["spec"]?["hostname"]);
                    if (hostname.Length > 0 && J.Text(pod["spec"]?["subdomain"]) == name)
                    {
                        names.AddRange(Domains.Select(d => $"{hostname}.{name}.{ns}.{d}"));
                    }

                    records.Add((ip, string.Join(' ', names)));
                }
            }
            else if (ServiceAddress(ns, name) is { } address)
            {
                records.Add((address.ToString(), string.Join(' ', Domains.Select(d => $"{name}.{ns}.{d}"))));
            }
        }

        records.Sort();
        lock (_sync)
        {
            if (records.SequenceEqual(_records)) return;
            _records = records;
            _hosts?.Write(records);
            foreach (var pod in _podFiles.Values) Write(pod, records);
        }
    }

    private async Task SyncProxiesAsync(List<JsonObject> services)
    {
        var wanted = services
            .Where(s => J.Text(s["spec"]?["clusterIP"]) != "None" && J.Map(s["spec"]?["selector"]).Count > 0)
            .ToDictionary(s => $"{J.Namespace(s)}/{J.Name(s)}", s => s);
        List<ServiceProxy> gone = [];
        lock (_sync)
        {
            foreach (var (key, (proxy, ports)) in _proxies.ToList())
            {
                if (!wanted.TryGetValue(key, out var service) || Ports(service) != ports)
                {
                    gone.Add(proxy);
                    _proxies.Remove(key);
                }
            }
        }

        foreach (var proxy in gone)
        {
            await proxy.DisposeAsync().ConfigureAwait(false);
            Addresses.Release(proxy.Address);
        }

        foreach (var (key, service) in wanted)
        {
            lock (_sync)
            {
                if (_proxies.ContainsKey(key)) continue;
            }

            var ports = J.Objects(service["spec"]?["ports"]).Where(p => J.Text(p["protocol"]) is "" or "TCP").Select(p => J.Int(p["port"], 0)).Where(p => p > 0).ToList();
            try
            {
                var proxy = new ServiceProxy(Addresses.NextService(), ports, port => Endpoints(service, port));
                lock (_sync)
                {
                    _proxies[key] = (proxy, Ports(service));
                }
            }
            catch (System.Net.Sockets.SocketException e)
            {
                _log.Write($"network: service {key}: cannot listen: {e.Message}");
            }
        }
    }

    /// <summary>The ready pods a Service selects, at the port its <c>targetPort</c> names (a number, or a container port's name).</summary>
    private List<IPEndPoint> Endpoints(JsonObject service, int port)
    {
        var ns = J.Namespace(service);
        var servicePort = J.Objects(service["spec"]?["ports"]).FirstOrDefault(p => J.Int(p["port"], 0) == port);
        var target = servicePort?["targetPort"] ?? servicePort?["port"];
        var current = _services.Get(ns, J.Name(service)) ?? service;
        List<IPEndPoint> endpoints = [];
        foreach (var pod in _pods.InNamespace(ns).Where(p => J.SelectsMap(current["spec"]?["selector"], J.Labels(p)) && PodReady(p) && !J.Deleting(p)))
        {
            if (!IPAddress.TryParse(J.Text(pod["status"]?["podIP"]), out var ip)) continue;
            var number = J.Int(target, -1);
            if (number < 0)
            {
                var name = J.Text(target);
                number = J.Objects(pod["spec"]?["containers"]).SelectMany(c => J.Objects(c["ports"]))
                    .Where(p => J.Text(p["name"]) == name).Select(p => J.Int(p["containerPort"], -1)).FirstOrDefault(-1);
            }

            if (number > 0) endpoints.Add(new IPEndPoint(ip, number));
        }

        return endpoints;
    }

    private static string Ports(JsonObject service) => string.Join(',', J.Objects(service["spec"]?["ports"]).Select(p => J.Text(p["port"])));

    public static bool PodReady(JsonObject pod) =>
        J.Objects(pod["status"]?["conditions"]).Any(c => J.Text(c["type"]) == "Ready" && J.Text(c["status"]) == "True");

    private static void Write(PodHosts pod, IReadOnlyList<(string Address, string Names)> records)
    {
        // The kubelet's managed hosts file (pkg/kubelet/kubelet_pods.go managedHostsFileContent): localhost, then the
        // pod's own names; here followed by the cluster's names, which a pod would ask the cluster DNS for.
        List<string> lines = ["# Kubernetes-managed hosts file (archiver cluster stand-in).", $"{pod.Address} localhost", $"{pod.Address} {pod.OwnNames}"];
        lines.AddRange(records.Select(r => $"{r.Address} {r.Names}"));
        try
        {
            HostsFile.WriteInPlace(pod.Path, lines);
        }
        catch (IOException)
        {
            // The pod is being torn down and its folder removed.
        }
    }

    private sealed record PodHosts(string Path, string Address, string OwnNames);
}
