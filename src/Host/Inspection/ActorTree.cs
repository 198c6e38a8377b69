using Akka.Actor;

namespace Archiver.Host.Inspection;

/// <summary>
/// <c>/inspect/actors</c>: this node's actor tree under <c>/user</c> and <c>/system</c>, read from the actor cells'
/// children containers. That is a snapshot taken without sending a message, so it cannot wait on a busy actor and
/// costs nothing to the actors shown (an Identify walk would queue behind every entity's mailbox).
/// </summary>
public static class ActorTree
{
    public const int DefaultDepth = 4;
    public const int MaxDepth = 12;

    /// <summary>Children listed per actor; a shard with thousands of entities shows the first ones and its count.</summary>
    public const int ChildrenPerActor = 100;

    public static ActorsResponse Read(ActorSystem system, int depth, string? under)
    {
        var extended = (ExtendedActorSystem)system;
        IEnumerable<IActorRef> roots = [extended.Guardian, extended.SystemGuardian];
        if (!string.IsNullOrEmpty(under))
        {
            // A sub-tree, e.g. /system/sharding/opsrequest: walked down by name from its guardian.
            var names = under.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
            IActorRef? current = names.Length > 0 && names[0] == "user" ? extended.Guardian
                : names.Length > 0 && names[0] == "system" ? extended.SystemGuardian
                : null;
            foreach (var name in names.Skip(1))
            {
                current = (current as ActorRefWithCell)?.GetSingleChild(name) is { } child && child is not Nobody ? child : null;
                if (current is null) break;
            }

            roots = current is null ? [] : [current];
        }

        var bounded = Math.Clamp(depth, 0, MaxDepth);
        return new ActorsResponse(extended.Provider.DefaultAddress.ToString(), bounded, [.. roots.Select(r => Node(r, bounded))]);
    }

    private static ActorNode Node(IActorRef actor, int depth)
    {
        var withCell = actor as ActorRefWithCell;
        var children = withCell?.Children.ToList() ?? [];
        var shown = depth <= 0 ? [] : children
            .OrderBy(c => c.Path.Name, StringComparer.Ordinal)
            .Take(ChildrenPerActor)
            .Select(c => Node(c, depth - 1))
            .ToList();
        return new ActorNode(actor.Path.Name, actor.Path.ToStringWithoutAddress(), withCell?.Underlying.Props?.Type?.Name, children.Count, shown);
    }
}
