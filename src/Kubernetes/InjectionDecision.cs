using System.Text.Json.Nodes;

namespace Archiver.Kubernetes;

/// <summary>What admission does to a pod (<see cref="SidecarInjection.Decide"/>): <see cref="Patch"/> null admits it unchanged; <see cref="Why"/> is logged.</summary>
public sealed record InjectionDecision(JsonArray? Patch, string Why)
{
    public static InjectionDecision Unchanged(string why) => new(null, why);
}
