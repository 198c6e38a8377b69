using System.Text.Json.Nodes;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;

namespace Archiver.Actors.Embedded;

/// <summary>
/// The garbage collector a cluster's kube-controller-manager runs, as the embedded node's stand-in for it: an
/// object whose <c>metadata.ownerReferences</c> name only owners that are gone is deleted (with finalizers, marked
/// deleting), in the background after its owner's deletion, as the default background propagation does; one that
/// still has an owner loses the references to the ones gone. An owner is there when an object of its kind and name
/// with its uid is (kube-controller-manager's <c>pkg/controller/garbagecollector/garbagecollector.go</c>
/// attemptToDeleteItem checks the same); one of a kind this store does not keep cannot be checked and counts as
/// there. Owners are looked up in the dependent's namespace: a namespaced owner can only own objects of its own.
/// </summary>
public sealed partial class InMemoryResourceStore
{
    private enum OwnerState
    {
        Present,
        Absent,
        Unknown,
    }

    /// <summary>After an object is gone (under its kind's lock): its dependents are looked at in the background.</summary>
    private void CollectDependentsOf(string @namespace, string? uid)
    {
        if (string.IsNullOrEmpty(uid)) return;
        _ = Task.Run(() =>
        {
            foreach (var kind in _kinds.Values)
            {
                List<ResourceId> dependents;
                lock (kind.Gate)
                {
                    dependents = [.. kind.Objects.Ids.Where(id => id.Namespace == @namespace && kind.Objects.TryGet(id, out var s) && s.Owners.Any(o => o.Uid == uid))];
                }

                foreach (var id in dependents) Collect(kind, id);
            }
        });
    }

    /// <summary>
    /// An object written naming an owner that is not there is collected too (the collector finds it when it sees the
    /// object, not only when an owner goes): a dependent created after its owner was deleted does not outlive it.
    /// </summary>
    private void CollectIfOrphaned(Kind kind, ResourceId id, Stored stored)
    {
        if (stored.Owners.Any(o => StateOf(o, id.Namespace) == OwnerState.Absent)) _ = Task.Run(() => Collect(kind, id));
    }

    /// <summary>Deletes the object if no owner holds it any more, or drops the references to owners gone.</summary>
    private void Collect(Kind kind, ResourceId id)
    {
        try
        {
            lock (kind.Gate)
            {
                if (!kind.Current.TryGetValue(id, out var stored)) return;
                var gone = stored.Owners.Where(o => StateOf(o, id.Namespace) == OwnerState.Absent).Select(o => o.Uid).ToHashSet(StringComparer.Ordinal);
                if (gone.Count == 0) return;
                if (gone.Count == stored.Owners.Length)
                {
                    Delete(kind, id);
                    return;
                }

                var node = JsonNode.Parse(stored.Json)!;
                var references = node["metadata"]!["ownerReferences"]!.AsArray();
                node["metadata"]!["ownerReferences"] = new JsonArray([.. references.Where(r => r?["uid"]?.GetValue<string>() is not { } uid || !gone.Contains(uid)).Select(r => r!.DeepClone())]);
                Write(kind, id, node, Ports.ResourceEventType.Modified);
            }
        }
        catch (IOException)
        {
            // The journal refused the deletion: nothing changed. As the collector retries, the next owner deletion
            // or node start looks at it again.
        }
    }

    private OwnerState StateOf(Owner owner, string @namespace)
    {
        // By group and kind: the version a reference names does not matter (the collector maps it to the resource).
        var group = owner.ApiVersion.Contains('/', StringComparison.Ordinal) ? owner.ApiVersion[..owner.ApiVersion.IndexOf('/', StringComparison.Ordinal)] : "";
        if (ResourceKinds.Find(owner.Kind) is not { } type || type.Group != group) return OwnerState.Unknown;
        return _kinds.TryGetValue(type.Kind, out var kind) && kind.Current.TryGetValue(new ResourceId(@namespace, owner.Name), out var stored) && stored.Uid == owner.Uid
            ? OwnerState.Present
            : OwnerState.Absent;
    }
}
