using System.Collections.Concurrent;
using System.Globalization;
using Akka.Cluster;
using Archiver.Actors.Hosting;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol.OpsRequests;

namespace Archiver.Actors.Tests.Cluster;

/// <summary>
/// Three Archiver nodes in this process on 127.0.0.1, one PostgreSQL journal, and one resource store, set of
/// workloads and set of steps between them, so every side effect is counted wherever it ran. Linked into the
/// benchmarks too.
/// </summary>
internal sealed class ThreeNodeCluster : IAsyncDisposable
{
    private readonly ArchiverNode?[] _nodes;

    private ThreeNodeCluster(IReadOnlyList<string> addresses, ArchiverNode?[] nodes)
    {
        Addresses = addresses;
        _nodes = nodes;
    }

    /// <summary>Each node's address, oldest first: the first is the first seed and forms the cluster.</summary>
    public IReadOnlyList<string> Addresses { get; }

    /// <summary>Every step begun, in order, with the node it began on.</summary>
    public ConcurrentQueue<StepRun> Runs { get; } = new();

    public static async Task<ThreeNodeCluster> StartAsync(string journal, bool fastFailover, IResourceStore store, IArchivingWorkloads workloads, IOpsRequestSteps steps, OpsRequestSettings? settings = null, string? hocon = null)
    {
        var ports = FreePorts.Take(3);
        // The exact host string the nodes bind: a seed spelled "localhost" would never be recognised as one of them.
        var addresses = ports.Select(p => string.Create(CultureInfo.InvariantCulture, $"akka.tcp://{ArchiverHostingExtensions.SystemName}@127.0.0.1:{p}")).ToList();
        var cluster = new ThreeNodeCluster(addresses, new ArchiverNode?[3]);
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var options = new ArchiverNodeOptions
                {
                    Hostname = "127.0.0.1",
                    Port = ports[i],
                    SeedNodes = addresses,
                    // Three journals creating the tables of a fresh database at once race; the first node, which
                    // forms the cluster and so hosts the persistent shard coordinator, creates them before anyone
                    // else writes.
                    Journal = JournalOptions.PostgreSql(journal, autoInitialize: i == 0),
                    Cluster = fastFailover ? ClusterTuningOptions.FastFailover : ClusterTuningOptions.AkkaDefaults,
                };
                cluster._nodes[i] = await ArchiverNode.StartAsync(options, store, workloads, new NodeSteps(steps, addresses[i], cluster.Runs), settings, hocon);
            }
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    public ArchiverNode Node(string address) =>
        _nodes[Index(address)] ?? throw new InvalidOperationException($"{address} has crashed");

    /// <summary>A node still running, other than the one given.</summary>
    public ArchiverNode SurvivorBesides(string address) =>
        _nodes.Where((node, i) => node is not null && Addresses[i] != address).First()!;

    /// <summary>Waits until every running node sees every running node up.</summary>
    public async Task WaitUntilFormedAsync(TimeSpan timeout)
    {
        var running = _nodes.OfType<ArchiverNode>().ToList();
        await Poll.UntilAsync(
            () => running.All(n => Akka.Cluster.Cluster.Get(n.System).State.Members.Count(m => m.Status == MemberStatus.Up) == running.Count),
            timeout,
            "the three nodes did not form a cluster");
    }

    /// <summary>The node the step began on most recently, after <paramref name="since"/> runs were recorded.</summary>
    public async Task<StepRun> WaitForRunAsync(OpsRequestStep step, TimeSpan timeout, int since = 0)
    {
        StepRun? found = null;
        await Poll.UntilAsync(
            () => (found = Runs.Skip(since).LastOrDefault(r => r.Step == step)) is not null,
            timeout,
            $"{step} did not begin");
        return found!;
    }

    /// <summary>Kills the node abruptly: nothing is handed over, the others must notice it is gone.</summary>
    public async Task CrashAsync(string address)
    {
        var node = Node(address);
        _nodes[Index(address)] = null;
        await node.CrashAsync();
        await node.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        // Youngest first: the oldest hosts the singletons, and leaving it for last hands them over once, not twice.
        for (var i = _nodes.Length - 1; i >= 0; i--)
        {
            if (_nodes[i] is { } node) await node.DisposeAsync();
            _nodes[i] = null;
        }
    }

    private int Index(string address)
    {
        var index = Addresses.ToList().IndexOf(address);
        return index >= 0 ? index : throw new ArgumentException($"{address} is not a member", nameof(address));
    }
}
