using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Archiver.Kubernetes;

/// <summary>
/// How the sidecar container runs: its resources, security context and extra environment, from the archiver's
/// <c>spec.walBackup.runtimeSettings</c> (KubeStash's <c>RuntimeSettings</c>, kmodules/offshoot-api
/// <c>api/v1/runtime_settings_types.go</c>). Only the <c>container</c> part applies: the pod is KubeDB's, so its
/// <c>pod</c> part (node selector, pod security context, service account...) is not ours to set. Of the container
/// part, <c>resources</c> replaces the default whole, <c>securityContext</c> is laid field by field over the
/// restricted default (so naming <c>runAsUser</c> keeps the rest of the profile), and <c>env</c>/<c>envFrom</c> are
/// added after the sidecar's own variables, which keep their names. Probes, <c>lifecycle</c>, <c>nice</c> and
/// <c>ionice</c> are not applied: a readiness probe on the sidecar would take the database's pod out of its
/// Services whenever archiving stalls (the archiver's conditions report that instead), and KubeStash applies nice
/// and ionice by wrapping its own command.
/// </summary>
internal sealed record SidecarRuntime(V1ResourceRequirements Resources, V1SecurityContext SecurityContext, IReadOnlyList<V1EnvVar> Env, IReadOnlyList<V1EnvFromSource> EnvFrom)
{
    /// <summary>
    /// The uid and gid the sidecar runs as unless told otherwise: KubeDB's MongoDB runs as 999, so a volume prepared
    /// for the database's user (the storage's hostPath or claim) is writable by the sidecar too, and a numeric user
    /// lets the kubelet check <c>runAsNonRoot</c> whatever user the image declares.
    /// </summary>
    public const long DefaultUser = 999;

    /// <summary>
    /// The restricted Pod Security Standard for a container (kubernetes.io/docs/concepts/security/pod-security-standards):
    /// not root, no privilege escalation, every capability dropped, the runtime's seccomp profile; and a read-only root
    /// file system (the sidecar writes only to the storage's volume and <c>/tmp</c>).
    /// </summary>
    public static V1SecurityContext RestrictedSecurityContext() => new()
    {
        RunAsNonRoot = true,
        RunAsUser = DefaultUser,
        RunAsGroup = DefaultUser,
        AllowPrivilegeEscalation = false,
        Capabilities = new V1Capabilities { Drop = ["ALL"] },
        SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
        ReadOnlyRootFilesystem = true,
    };

    /// <summary>
    /// Sized on the sidecar as measured (docs/cluster.md, "The sidecar's resources and security context"): under a
    /// sustained burst of 6 to 10 MiB/s of oplog with 16 MiB chunks (the default <c>walBackup.config.chunkMaxSize</c>) it
    /// used about a third of a core and 440 MiB resident with its heap held to 384 MiB, and could run out of memory
    /// with 256 MiB. A memory limit is what holds the heap: the .NET runtime takes 75% of its container's limit as
    /// its heap's, and without one it grows with the node (950 MiB seen on a 24 GiB machine). So memory is 256 MiB and 16 times the
    /// chunk size (the chunk's buffers scale with it; 512 MiB by default), requested as much as limited, so the
    /// sidecar never makes the database's pod the first to be evicted; CPU is 100m requested (3% of a core idle, about
    /// 4% per MiB/s of oplog) and not limited, since throttling would only slow the catching up after an outage.
    /// </summary>
    public static V1ResourceRequirements DefaultResources(long chunkMaxSize)
    {
        var memory = new ResourceQuantity($"{(256L * 1024 * 1024 + 16 * Math.Max(0, chunkMaxSize) + (1024 * 1024) - 1) / (1024 * 1024)}Mi");
        return new V1ResourceRequirements
        {
            Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m"), ["memory"] = memory },
            Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = memory },
        };
    }

    public static SidecarRuntime Default(long chunkMaxSize) => new(DefaultResources(chunkMaxSize), RestrictedSecurityContext(), [], []);

    /// <summary>The settings from a RuntimeSettings document (null: the defaults for chunks of <paramref name="chunkMaxSize"/> bytes).</summary>
    /// <exception cref="FormatException">The container part does not have KubeStash's shape.</exception>
    public static SidecarRuntime From(JsonElement? runtimeSettings, long chunkMaxSize) =>
        From(runtimeSettings, DefaultResources(chunkMaxSize), "spec.walBackup.runtimeSettings");

    /// <summary>
    /// The container part of a RuntimeSettings document laid over <paramref name="defaultResources"/> and the restricted
    /// security context, for any container Archiver runs (the sidecar, a backup Job's); a mistake is named under
    /// <paramref name="path"/>.
    /// </summary>
    /// <exception cref="FormatException">The container part does not have KubeStash's shape.</exception>
    public static SidecarRuntime From(JsonElement? runtimeSettings, V1ResourceRequirements defaultResources, string path)
    {
        if (runtimeSettings is not { ValueKind: JsonValueKind.Object } settings
            || !settings.TryGetProperty("container", out var container) || container.ValueKind != JsonValueKind.Object)
        {
            return new SidecarRuntime(defaultResources, RestrictedSecurityContext(), [], []);
        }

        try
        {
            var resources = container.TryGetProperty("resources", out var given) && given.ValueKind == JsonValueKind.Object && given.EnumerateObject().Any()
                ? KubernetesJson.Deserialize<V1ResourceRequirements>(given.GetRawText())
                : defaultResources;
            var security = RestrictedSecurityContext();
            if (container.TryGetProperty("securityContext", out var overlay) && overlay.ValueKind == JsonValueKind.Object)
            {
                var merged = JsonNode.Parse(KubernetesJson.Serialize(security))!.AsObject();
                foreach (var field in overlay.EnumerateObject()) merged[field.Name] = JsonNode.Parse(field.Value.GetRawText());
                security = KubernetesJson.Deserialize<V1SecurityContext>(merged.ToJsonString());
            }

            var env = container.TryGetProperty("env", out var variables) && variables.ValueKind == JsonValueKind.Array
                ? KubernetesJson.Deserialize<List<V1EnvVar>>(variables.GetRawText())
                : [];
            // As an API server writes a field reference back: unchanged settings must read back equal.
            foreach (var variable in env)
            {
                if (variable.ValueFrom?.FieldRef is { ApiVersion: null } field) field.ApiVersion = "v1";
            }

            var envFrom = container.TryGetProperty("envFrom", out var sources) && sources.ValueKind == JsonValueKind.Array
                ? KubernetesJson.Deserialize<List<V1EnvFromSource>>(sources.GetRawText())
                : [];
            return new SidecarRuntime(resources, security, env, envFrom);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new FormatException($"{path}.container: {e.Message}", e);
        }
    }

    /// <summary>
    /// Equal in what the sidecar asks for: quantities by value (an API server writes <c>0.5</c> back as <c>500m</c>),
    /// so the same settings never look changed and never roll the database's pods.
    /// </summary>
    public static bool SameResources(V1ResourceRequirements? running, V1ResourceRequirements? wanted) =>
        SameQuantities(running?.Requests, wanted?.Requests) && SameQuantities(running?.Limits, wanted?.Limits)
        && KubernetesJson.Serialize(running?.Claims ?? []) == KubernetesJson.Serialize(wanted?.Claims ?? []);

    private static bool SameQuantities(IDictionary<string, ResourceQuantity>? a, IDictionary<string, ResourceQuantity>? b)
    {
        a ??= new Dictionary<string, ResourceQuantity>();
        b ??= new Dictionary<string, ResourceQuantity>();
        return a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var other) && other is not null && p.Value is not null && p.Value.ToDecimal() == other.ToDecimal());
    }
}
