using System.Collections.Concurrent;
using Akka.Actor;
using Archiver.Messages.Protocol;

namespace Archiver.Actors.Metrics;

/// <summary>
/// What this node's entities report for /metrics: one per actor system (a node), so nodes sharing a process (tests)
/// never mix. Each database is reported by the node hosting its entity, and only while it does: the entity claims
/// its slot when it starts and releases it when it stops, so a database moved to another node is exported there and
/// no longer here (a late status write of the stopped entity cannot bring it back). Ops requests and entity counts
/// likewise cover this node's entities; summed over the nodes they are the cluster's.
/// </summary>
public sealed class NodeMetrics : IExtension
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ResourceId, (object Owner, DatabaseMetrics? Values)> _databases = [];
    private readonly ConcurrentDictionary<ResourceId, string> _opsRequests = new();
    private readonly ConcurrentDictionary<string, int> _entities = new(StringComparer.Ordinal);

    public static NodeMetrics For(ActorSystem system) => system.WithExtension<NodeMetrics, NodeMetricsProvider>();

    /// <summary>The database's entity started on this node; <paramref name="owner"/> is that entity's token.</summary>
    public void Claim(ResourceId database, object owner)
    {
        lock (_lock) _databases[database] = (owner, null);
    }

    /// <summary>The values to export for the database, if <paramref name="owner"/> still holds it.</summary>
    public void Set(ResourceId database, object owner, DatabaseMetrics values)
    {
        lock (_lock)
        {
            if (_databases.TryGetValue(database, out var held) && ReferenceEquals(held.Owner, owner)) _databases[database] = (owner, values);
        }
    }

    /// <summary>Changes what is exported for the database, if <paramref name="owner"/> holds it and something was set.</summary>
    public void Update(ResourceId database, object owner, Func<DatabaseMetrics, DatabaseMetrics> change)
    {
        lock (_lock)
        {
            if (_databases.TryGetValue(database, out var held) && ReferenceEquals(held.Owner, owner) && held.Values is { } values) _databases[database] = (owner, change(values));
        }
    }

    /// <summary>The entity stopped: the database is no longer exported by this node.</summary>
    public void Release(ResourceId database, object owner)
    {
        lock (_lock)
        {
            if (_databases.TryGetValue(database, out var held) && ReferenceEquals(held.Owner, owner)) _databases.Remove(database);
        }
    }

    public IReadOnlyList<(ResourceId Database, DatabaseMetrics Values)> Databases()
    {
        lock (_lock) return [.. _databases.Where(d => d.Value.Values is not null).Select(d => (d.Key, d.Value.Values!))];
    }

    /// <summary>An ops request entity on this node is in <paramref name="phase"/>; null: it stopped.</summary>
    public void OpsRequest(ResourceId request, string? phase)
    {
        if (phase is null) _opsRequests.TryRemove(request, out _);
        else _opsRequests[request] = phase;
    }

    public IReadOnlyDictionary<string, int> OpsRequestsByPhase() =>
        _opsRequests.Values.GroupBy(p => p, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    /// <summary>An entity of <paramref name="kind"/> started (+1) or stopped (-1) on this node.</summary>
    public void Entity(string kind, int change) => _entities.AddOrUpdate(kind, change, (_, n) => n + change);

    public IReadOnlyDictionary<string, int> Entities() => _entities.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
}
