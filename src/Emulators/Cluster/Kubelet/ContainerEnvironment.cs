using System.Text;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.Kubelet;

/// <summary>
/// A container's environment as the kubelet makes it (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables): the
/// API server's <c>KUBERNETES_SERVICE_*</c> variables, <c>envFrom</c>, then <c>env</c> in order, each value expanded
/// against the variables before it; <c>valueFrom</c> a Secret or ConfigMap key (a missing one, unless optional, is
/// <c>CreateContainerConfigError</c>) or a field of the pod. Service links (<c>{SVC}_SERVICE_HOST</c> for every
/// Service of the namespace) are not made; resource fields are not known.
/// </summary>
internal static class ContainerEnvironment
{
    public static List<KeyValuePair<string, string>> Build(PodContext pod, JsonObject container)
    {
        var env = new List<KeyValuePair<string, string>>();
        var api = pod.Services.ApiEndPoint;
        Set(env, "KUBERNETES_SERVICE_HOST", api.Address.ToString());
        Set(env, "KUBERNETES_SERVICE_PORT", api.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Set(env, "KUBERNETES_SERVICE_PORT_HTTPS", api.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Set(env, "KUBERNETES_PORT", $"tcp://{api}");
        Set(env, "HOSTNAME", Hostname(pod.Pod));
        foreach (var source in J.Objects(container["envFrom"]))
        {
            var prefix = J.Text(source["prefix"]);
            var (data, optional, what) = source["secretRef"] is JsonObject secret
                ? (Decoded(pod.Services.Secrets.Get(pod.Namespace, J.Text(secret["name"]))), J.Bool(secret["optional"], false), $"secret \"{J.Text(secret["name"])}\"")
                : source["configMapRef"] is JsonObject map
                    ? (Plain(pod.Services.ConfigMaps.Get(pod.Namespace, J.Text(map["name"]))), J.Bool(map["optional"], false), $"configmap \"{J.Text(map["name"])}\"")
                    : (null, true, "");
            if (data is null && !optional) throw new ContainerConfigException("CreateContainerConfigError", $"{what} not found");
            foreach (var (key, value) in data ?? []) Set(env, prefix + key, value);
        }

        foreach (var variable in J.Objects(container["env"]))
        {
            var name = J.Text(variable["name"]);
            string? value;
            if (variable["valueFrom"] is JsonObject from) value = ValueFrom(pod, from);
            else value = Expansion.Expand(J.Text(variable["value"]), n => Lookup(env, n));
            if (value is not null) Set(env, name, value);
        }

        return env;
    }

    public static string Hostname(JsonObject pod)
    {
        var hostname = J.Text(pod["spec"]?["hostname"]);
        return hostname.Length > 0 ? hostname : J.Name(pod).Length > 63 ? J.Name(pod)[..63] : J.Name(pod);
    }

    public static string? Lookup(List<KeyValuePair<string, string>> env, string name)
    {
        for (var i = env.Count - 1; i >= 0; i--)
        {
            if (env[i].Key == name) return env[i].Value;
        }

        return null;
    }

    /// <summary>Decodes a Secret's <c>data</c> (base64) and adds its <c>stringData</c>; null when it does not exist.</summary>
    public static Dictionary<string, string>? Decoded(JsonObject? secret) => secret is null ? null
        : J.Map(secret["data"]).ToDictionary(p => p.Key, p => Encoding.UTF8.GetString(Convert.FromBase64String(p.Value)))
            .Concat(J.Map(secret["stringData"])).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value);

    public static Dictionary<string, string>? Plain(JsonObject? configMap) => configMap is null ? null : J.Map(configMap["data"]);

    private static string? ValueFrom(PodContext pod, JsonObject from)
    {
        if (from["secretKeyRef"] is JsonObject secretRef)
        {
            return Key(Decoded(pod.Services.Secrets.Get(pod.Namespace, J.Text(secretRef["name"]))), secretRef, "secret", pod.Namespace);
        }

        if (from["configMapKeyRef"] is JsonObject mapRef)
        {
            return Key(Plain(pod.Services.ConfigMaps.Get(pod.Namespace, J.Text(mapRef["name"]))), mapRef, "configmap", pod.Namespace);
        }

        if (from["fieldRef"] is JsonObject field)
        {
            return FieldValue(pod, J.Text(field["fieldPath"]))
                ?? throw new ContainerConfigException("CreateContainerConfigError", $"unsupported fieldPath: {J.Text(field["fieldPath"])}");
        }

        throw new ContainerConfigException("CreateContainerConfigError", "the stand-in knows no resourceFieldRef values (no resources are accounted)");
    }

    private static string? Key(Dictionary<string, string>? data, JsonObject reference, string kind, string ns)
    {
        var name = J.Text(reference["name"]);
        var key = J.Text(reference["key"]);
        var optional = J.Bool(reference["optional"], false);
        if (data is null)
        {
            return optional ? null : throw new ContainerConfigException("CreateContainerConfigError", $"{kind} \"{name}\" not found");
        }

        return data.TryGetValue(key, out var value) ? value
            : optional ? null : throw new ContainerConfigException("CreateContainerConfigError", $"couldn't find key {key} in {(kind == "secret" ? "Secret" : "ConfigMap")} {ns}/{name}");
    }

    /// <summary>The downward API's fields (pkg/api/pod/util.go ConvertDownwardAPIFieldLabel).</summary>
    public static string? FieldValue(PodContext pod, string path)
    {
        var p = pod.Pod;
        switch (path)
        {
            case "metadata.name": return pod.Name;
            case "metadata.namespace": return pod.Namespace;
            case "metadata.uid": return pod.Uid;
            case "spec.nodeName": return pod.Services.NodeName;
            case "spec.serviceAccountName": return ServiceAccountName(p);
            case "status.podIP": return pod.Address.ToString();
            case "status.podIPs": return pod.Address.ToString();
            case "status.hostIP" or "status.hostIPs": return "127.0.0.1";
            case "metadata.labels": return Pairs(J.Labels(p));
            case "metadata.annotations": return Pairs(J.Map(p["metadata"]?["annotations"]));
        }

        foreach (var (prefix, map) in new[] { ("metadata.labels", "labels"), ("metadata.annotations", "annotations") })
        {
            if (path.StartsWith(prefix + "['", StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal))
            {
                return J.Map(p["metadata"]?[map]).GetValueOrDefault(path[(prefix.Length + 2)..^2]) ?? "";
            }
        }

        return null;
    }

    public static string ServiceAccountName(JsonObject pod) => J.Text(pod["spec"]?["serviceAccountName"]) is { Length: > 0 } sa ? sa : "default";

    private static string Pairs(Dictionary<string, string> map) =>
        string.Join('\n', map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}=\"{p.Value.Replace("\"", "\\\"", StringComparison.Ordinal)}\""));

    private static void Set(List<KeyValuePair<string, string>> env, string name, string value)
    {
        env.RemoveAll(p => p.Key == name);
        env.Add(new(name, value));
    }
}
