using System.CommandLine;
using Archiver.Actors.Hosting;
using Archiver.Host.Node;
using Archiver.Messages.Validation;
using Microsoft.Extensions.Logging;

namespace Archiver.Host.Cli;

/// <summary><c>archiver run</c>: one node, until stopped.</summary>
public static class RunCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var data = new Option<string>("--data") { Description = "The node's folder: journal, secrets, local storage.", DefaultValueFactory = _ => DefaultDataFolder() };
        var httpHost = new Option<string>("--http-host") { Description = "Address of the API, inspection and status page.", DefaultValueFactory = _ => "127.0.0.1" };
        var httpPort = new Option<int>("--http-port") { Description = "Port of the API (0: any free one).", DefaultValueFactory = _ => NodeSettings.DefaultHttpPort };
        var token = new Option<string?>("--token") { Description = "Bearer token the API requires (needed when --http-host is not loopback; default $ARCHIVER_TOKEN)." };
        var akkaPort = new Option<int>("--port") { Description = "Akka remoting port (0: any free one; a cluster member needs a fixed one).", DefaultValueFactory = _ => 0 };
        var akkaHost = new Option<string>("--host") { Description = "Address the Akka remoting port binds (0.0.0.0 in a pod).", DefaultValueFactory = _ => "127.0.0.1" };
        var advertise = new Option<string?>("--advertise-host") { Description = "The name other nodes reach this one by, if not --host (in a StatefulSet: the pod's DNS name, as seeds spell it)." };
        var seeds = new Option<string[]>("--seed") { Description = "Seed node (akka.tcp://archiver@host:port); none forms a cluster of one. Nodes of a cluster share a resource store (--kubeconfig or --in-cluster) and a journal (--postgres).", AllowMultipleArgumentsPerToken = true };
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string for the journal (a cluster); default SQLite in --data." };
        var kubeconfig = new Option<string?>("--kubeconfig") { Description = "Drive the resources and workloads of the cluster this kubeconfig names, instead of the embedded store." };
        var inCluster = new Option<bool>("--in-cluster") { Description = "Drive the cluster this node runs in (its pod's service account)." };
        var sidecarImage = new Option<string>("--sidecar-image") { Description = "Image of the archiving sidecar injected into databases (with --kubeconfig or --in-cluster).", DefaultValueFactory = _ => new ClusterConnection().SidecarImage };
        var webhookPort = new Option<int?>("--webhook-port") { Description = "Serve the mutating admission webhook for MongoDB resources on this port (TLS, on --http-host)." };
        var webhookCerts = new Option<string?>("--webhook-cert-dir") { Description = "The webhook's certificate: a folder with tls.crt and tls.key (a mounted kubernetes.io/tls secret; renewals are picked up)." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log at Information level." };
        var statusInterval = new Option<string>("--status-interval")
        {
            Description = "How often each archived database's status is refreshed from its archiver and repository: lag, headroom, windows (Go duration).",
            DefaultValueFactory = _ => "10s",
        };
        var command = new Command("run", """
            Run an Archiver node until Ctrl+C: the control plane (archivers, databases, ops requests), the oplog
            archivers of the databases it configures, and the API that the other commands talk to.

            Examples:
              archiver run --data ./archiver-data
              archiver run --kubeconfig ~/.kube/config --port 4053 --seed akka.tcp://archiver@10.0.0.1:4053 --postgres "Host=db;Username=archiver"
              archiver run --kubeconfig ~/.kube/config --sidecar-image ghcr.io/kubedb/archiver:v1
              archiver run --in-cluster --host 0.0.0.0 --advertise-host archiver-0.archiver.archiver.svc --port 4053 ...
                (as deploy/statefulset/statefulset.yaml runs it)
            """)
        {
            data, httpHost, httpPort, token, akkaHost, advertise, akkaPort, seeds, postgres, kubeconfig, inCluster, sidecarImage, webhookPort, webhookCerts, statusInterval, verbose,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            if (parse.GetValue(kubeconfig) is not null && parse.GetValue(inCluster))
            {
                await error.WriteLineAsync("archiver run: give --kubeconfig or --in-cluster, not both");
                return ExitCodes.Usage;
            }

            if ((parse.GetValue(webhookPort) is null) != (parse.GetValue(webhookCerts) is null))
            {
                await error.WriteLineAsync("archiver run: --webhook-port and --webhook-cert-dir go together");
                return ExitCodes.Usage;
            }

            if (!GoDuration.TryParse(parse.GetValue(statusInterval)!, out var refresh, out var refreshReason) || refresh <= TimeSpan.Zero)
            {
                await error.WriteLineAsync($"archiver run: --status-interval: {refreshReason ?? "must be more than zero"}");
                return ExitCodes.Usage;
            }

            var cluster = parse.GetValue(kubeconfig) is not null || parse.GetValue(inCluster)
                ? new ClusterConnection { Kubeconfig = parse.GetValue(kubeconfig), InCluster = parse.GetValue(inCluster), SidecarImage = parse.GetValue(sidecarImage)! }
                : null;
            var seedNodes = (IReadOnlyList<string>)(parse.GetValue(seeds) ?? []);
            if (cluster is not null && seedNodes.Count > 0 && Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } podNamespace)
            {
                seedNodes = await SeedsAsync(cluster, podNamespace, seedNodes, parse.GetValue(advertise), error, cancellation);
            }

            var journal = parse.GetValue(postgres) is { } connection ? JournalOptions.PostgreSql(connection) : JournalOptions.Sqlite(Path.Combine(parse.GetValue(data)!, "journal.db"));
            var settings = new NodeSettings
            {
                DataFolder = Path.GetFullPath(parse.GetValue(data)!),
                HttpHost = parse.GetValue(httpHost)!,
                HttpPort = parse.GetValue(httpPort),
                Token = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("ARCHIVER_TOKEN"),
                Akka = new ArchiverNodeOptions
                {
                    Hostname = parse.GetValue(akkaHost)!,
                    PublicHostname = parse.GetValue(advertise),
                    Port = parse.GetValue(akkaPort),
                    SeedNodes = [.. seedNodes],
                    Journal = journal,
                },
                Kubernetes = cluster,
                WebhookPort = parse.GetValue(webhookPort),
                WebhookCertificateFolder = parse.GetValue(webhookCerts) is { } folder ? Path.GetFullPath(folder) : null,
                StatusInterval = refresh,
            };
            if (settings.Problem() is { } problem)
            {
                await error.WriteLineAsync($"archiver run: {problem}");
                return ExitCodes.Usage;
            }

            ArchiverNodeHost node;
            try
            {
                node = await ArchiverNodeHost.StartAsync(settings, parse.GetValue(verbose) ? LogLevel.Information : LogLevel.Warning, cancellation);
            }
            catch (Exception e) when (e is ArgumentException or IOException or k8s.Exceptions.KubeConfigException)
            {
                await error.WriteLineAsync($"archiver run: {e.Message}");
                return ExitCodes.Failed;
            }

            await using (node)
            {
                await output.WriteLineAsync($"archiver node on {node.Address} (data: {settings.DataFolder}); Ctrl+C stops it");
                await node.WaitForShutdownAsync(cancellation);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static string DefaultDataFolder() =>
        Environment.GetEnvironmentVariable("ARCHIVER_DATA") is { Length: > 0 } data ? data : Path.Combine(Environment.CurrentDirectory, "archiver-data");

    /// <summary>The seeds this pod joins through (<see cref="SeedNodeOrder"/>); as given when the API server cannot say.</summary>
    private static async Task<IReadOnlyList<string>> SeedsAsync(ClusterConnection cluster, string podNamespace, IReadOnlyList<string> seeds, string? self, TextWriter error, CancellationToken cancellation)
    {
        try
        {
            using var client = new k8s.Kubernetes(cluster.ClientConfiguration());
            var chosen = await SeedNodeOrder.ForStatefulSetAsync(client, podNamespace, seeds, self, cancellation);
            if (chosen.Count != seeds.Count) await error.WriteLineAsync($"archiver run: the first seed node restarted while its peers run: joining them ({string.Join(", ", chosen)}) rather than forming a cluster of its own");
            return chosen;
        }
        catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or k8s.Exceptions.KubeConfigException or IOException)
        {
            await error.WriteLineAsync($"archiver run: could not list the pods of namespace {podNamespace} to choose the seed nodes ({e.Message}); using them as given");
            return seeds;
        }
    }
}
