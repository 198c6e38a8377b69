using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster;

namespace Archiver.Host.Inspection;

/// <summary>
/// <c>/inspect/members</c>: the cluster state this node holds (every member, its status and roles, who is
/// leader, who is unreachable from whom), and when each member was seen to come Up.
/// </summary>
public sealed class ClusterMembers
{
    // Akka's membership keeps the order members came Up in (UpNumber), not the time: this node records the
    // time itself, from the moment it starts watching.
    private readonly ConcurrentDictionary<UniqueAddress, (DateTimeOffset At, bool UpperBound)> _upSince = new();

    /// <summary>Starts recording Up times; called once the actor system runs.</summary>
    public void Watch(ActorSystem system) =>
        system.ActorOf(Props.Create(() => new UpWatcher(this)), "inspection-member-watch");

    public MembersResponse Snapshot(ActorSystem system)
    {
        var cluster = Cluster.Get(system);
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.UniqueAddress).ToHashSet();
        var all = state.Members.Concat(state.Unreachable.Where(u => !state.Members.Contains(u))).ToList();
        // A node that has not joined yet (just started, or its seed nodes unreachable) holds no membership at all and
        // Akka calls it Removed. It still lists itself, so "members" never answers an empty table about the node asked,
        // and as Joining while its cluster runs: Removed is kept for a node that left or was downed.
        if (!all.Any(m => m.UniqueAddress.Equals(cluster.SelfUniqueAddress))) all.Add(cluster.SelfMember);
        var members = all
            .OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m =>
            {
                var seen = _upSince.TryGetValue(m.UniqueAddress, out var up) ? up : ((DateTimeOffset, bool)?)null;
                return new MemberInfo(
                    m.Address.ToString(),
                    StatusOf(m, cluster),
                    [.. m.Roles.Order(StringComparer.Ordinal)],
                    !unreachable.Contains(m.UniqueAddress),
                    Equals(state.Leader, m.Address),
                    m.UniqueAddress.Equals(cluster.SelfUniqueAddress),
                    // Akka keeps the order of joining internally (upNumber); IsOlderThan is its public face.
                    1 + all.Count(other => other.Status == MemberStatus.Up && m.Status == MemberStatus.Up && other.IsOlderThan(m)),
                    seen?.Item1,
                    seen?.Item2 ?? false,
                    m.AppVersion.ToString());
            })
            .ToList();
        return new MembersResponse(cluster.SelfAddress.ToString(), state.Leader?.ToString(), unreachable.Count, members);
    }

    private static string StatusOf(Member member, Cluster cluster) =>
        member.Status == MemberStatus.Removed && member.UniqueAddress.Equals(cluster.SelfUniqueAddress) && !cluster.IsTerminated
            ? nameof(MemberStatus.Joining)
            : member.Status.ToString();

    private sealed class UpWatcher : ReceiveActor
    {
        public UpWatcher(ClusterMembers owner)
        {
            Receive<ClusterEvent.CurrentClusterState>(state =>
            {
                var now = DateTimeOffset.UtcNow;
                foreach (var m in state.Members.Where(m => m.Status == MemberStatus.Up)) owner._upSince.TryAdd(m.UniqueAddress, (now, true));
            });
            Receive<ClusterEvent.MemberUp>(up => owner._upSince.TryAdd(up.Member.UniqueAddress, (DateTimeOffset.UtcNow, false)));
            Receive<ClusterEvent.MemberRemoved>(removed => owner._upSince.TryRemove(removed.Member.UniqueAddress, out _));
        }

        protected override void PreStart() =>
            Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.MemberUp), typeof(ClusterEvent.MemberRemoved));

        protected override void PostStop() => Cluster.Get(Context.System).Unsubscribe(Self);
    }
}
