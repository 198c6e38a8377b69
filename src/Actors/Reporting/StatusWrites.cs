using Archiver.Messages.Resources;
using k8s;

namespace Archiver.Actors.Reporting;

/// <summary>
/// Status writes as Kubernetes controllers make them: a condition's <c>lastTransitionTime</c> moves only when its
/// status does (metav1's SetStatusCondition), and a status equal to the one written is not written again. Every
/// write is a watch event for every watcher, so a controller that rewrites an unchanged status keeps the whole
/// control plane busy for nothing.
/// </summary>
public static class StatusWrites
{
    /// <summary>The new conditions, each keeping the transition time it had if its status is unchanged.</summary>
    public static IReadOnlyList<Condition> Carry(IReadOnlyList<Condition>? before, IReadOnlyList<Condition> next) =>
        [.. next.Select(c => before?.FirstOrDefault(b => b.Type == c.Type) is { } previous && previous.Status == c.Status
            ? c with { LastTransitionTime = previous.LastTransitionTime }
            : c)];

    /// <summary>Whether two statuses would be written the same.</summary>
    public static bool Same<T>(T? a, T? b)
        where T : class =>
        a is null || b is null ? a is null && b is null : KubernetesJson.Serialize(a) == KubernetesJson.Serialize(b);
}
