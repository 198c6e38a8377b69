using k8s;

namespace Archiver.Host.Node;

/// <summary>
/// Which seed nodes a node of the StatefulSet joins through. Akka's first seed node forms a new cluster by itself when
/// no other seed answers it within <c>seed-node-timeout</c> (getakka.net, "Cluster Membership", seed nodes): right for
/// the first start, when it is alone, but a first seed restarted while the others run (killed, evicted, rescheduled)
/// may not hear from them in time, and then two clusters run side by side, each with its own shard coordinators and so
/// its own copy of every entity: two restores into one target undo each other (seen in the cluster demo, which kills
/// that pod). So a first seed whose peers are running leaves itself out of its seed list and only ever joins them, as
/// Akka.Management's Cluster Bootstrap joins an existing cluster it finds rather than forming one.
/// </summary>
public static class SeedNodeOrder
{
    /// <summary>
    /// <paramref name="seeds"/> as given, unless this node (<paramref name="self"/>, its advertised host) is the first of
    /// them and a peer seed's pod is running (<paramref name="peerRunning"/>, given a seed's host): then the seeds
    /// without this node.
    /// </summary>
    public static IReadOnlyList<string> For(IReadOnlyList<string> seeds, string? self, Func<string, bool> peerRunning)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        ArgumentNullException.ThrowIfNull(peerRunning);
        if (seeds.Count == 0 || string.IsNullOrEmpty(self) || !IsSelf(seeds[0], self)) return seeds;
        var peers = seeds.Where(s => !IsSelf(s, self)).ToList();
        return peers.Count > 0 && peers.Select(HostOf).Any(peerRunning) ? peers : seeds;
    }

    /// <summary>
    /// <see cref="For"/> with the peers' pods read from the API server: a seed's host names its pod by its first label
    /// (a StatefulSet pod's DNS name, <c>archiver-1.archiver.archiver.svc.cluster.local</c>), in this pod's namespace;
    /// a pod running and not being deleted counts. The node lists pods already (deploy/statefulset/rbac.yaml).
    /// </summary>
    public static async Task<IReadOnlyList<string>> ForStatefulSetAsync(IKubernetes client, string @namespace, IReadOnlyList<string> seeds, string? self, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (seeds.Count == 0 || string.IsNullOrEmpty(self) || !IsSelf(seeds[0], self)) return seeds;
        var pods = await client.CoreV1.ListNamespacedPodAsync(@namespace, cancellationToken: cancellation).ConfigureAwait(false);
        var running = pods.Items
            .Where(p => p.Status?.Phase == "Running" && p.Metadata?.DeletionTimestamp is null)
            .Select(p => p.Metadata.Name)
            .ToHashSet(StringComparer.Ordinal);
        return For(seeds, self, host => running.Contains(host.Split('.')[0]));
    }

    private static bool IsSelf(string seed, string self) => string.Equals(HostOf(seed), self, StringComparison.OrdinalIgnoreCase);

    /// <summary>The host of <c>akka.tcp://system@host:port</c>.</summary>
    private static string HostOf(string seed)
    {
        var at = seed.IndexOf('@', StringComparison.Ordinal);
        var host = at >= 0 ? seed[(at + 1)..] : seed;
        var colon = host.LastIndexOf(':');
        return colon >= 0 ? host[..colon] : host;
    }
}
