using System.Text;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.Kubelet;

/// <summary>
/// A pod's volumes, each a folder on this machine that the containers get bind-mounted at their mount paths:
/// <c>emptyDir</c> (the pod's, gone with it), <c>hostPath</c> (the machine's own), <c>persistentVolumeClaim</c> (the
/// bound claim's folder, which outlives the pod), and <c>secret</c>, <c>configMap</c>, <c>downwardAPI</c>,
/// <c>projected</c> written as the kubelet writes them (<see cref="AtomicWriter"/>) and refreshed at every sync when
/// their source changes. Any other volume type (nfs, csi, …) keeps the pod <c>ContainerCreating</c>, saying so.
/// Also the service account's token folder, which the API server's ServiceAccount admission would have added as a
/// <c>kube-api-access-*</c> projected volume (not added to the pod spec here; mounted by the kubelet directly).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class PodVolumes
{
    public const string ServiceAccountMountPath = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>Makes or refreshes every volume; throws <see cref="ContainerConfigException"/> for one that cannot be made yet.</summary>
    public static void Sync(PodContext pod)
    {
        foreach (var volume in J.Objects(pod.Pod["spec"]?["volumes"]))
        {
            var name = J.Text(volume["name"]);
            var folder = Path.Combine(pod.Folder, "volumes", name);
            pod.Volumes[name] = volume switch
            {
                _ when volume["emptyDir"] is not null => Created(folder),
                _ when volume["hostPath"] is JsonObject host => HostPath(name, host),
                _ when volume["persistentVolumeClaim"] is JsonObject claim => Claim(pod, name, J.Text(claim["claimName"])),
                _ when volume["secret"] is JsonObject secret => Written(folder, SecretFiles(pod, name, secret)),
                _ when volume["configMap"] is JsonObject map => Written(folder, ConfigMapFiles(pod, name, map)),
                _ when volume["downwardAPI"] is JsonObject downward => Written(folder, DownwardFiles(pod, downward)),
                _ when volume["projected"] is JsonObject projected => Written(folder, ProjectedFiles(pod, name, projected)),
                _ => throw new ContainerConfigException("ContainerCreating",
                    $"MountVolume.SetUp failed for volume \"{name}\": the cluster stand-in mounts emptyDir, hostPath, persistentVolumeClaim, secret, configMap, downwardAPI and projected volumes only"),
            };
        }

        if (AutomountsToken(pod))
        {
            var folder = Path.Combine(pod.Folder, "serviceaccount");
            Written(folder, ServiceAccountFiles(pod, "token"));
            pod.ServiceAccountFolder = folder;
        }
    }

    /// <summary>Whether the pod gets its service account's token (pod's setting, else the account's, else yes).</summary>
    private static bool AutomountsToken(PodContext pod)
    {
        if (pod.Pod["spec"]?["automountServiceAccountToken"] is JsonValue own) return J.Bool(own, true);
        var account = pod.Services.ServiceAccounts.Get(pod.Namespace, ContainerEnvironment.ServiceAccountName(pod.Pod));
        return J.Bool(account?["automountServiceAccountToken"], true);
    }

    private static string Created(string folder)
    {
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static string Written(string folder, Dictionary<string, (byte[], UnixFileMode)> files)
    {
        AtomicWriter.Write(folder, files);
        return folder;
    }

    private static string HostPath(string name, JsonObject host)
    {
        var path = J.Text(host["path"]);
        switch (J.Text(host["type"]))
        {
            case "DirectoryOrCreate":
                Directory.CreateDirectory(path);
                break;
            case "FileOrCreate" when !File.Exists(path):
                File.WriteAllBytes(path, []);
                break;
            case "Directory" when !Directory.Exists(path):
            case "File" when !File.Exists(path):
                throw new ContainerConfigException("ContainerCreating", $"MountVolume.SetUp failed for volume \"{name}\": hostPath type check failed: {path} does not exist");
        }

        return path;
    }

    private static string Claim(PodContext pod, string name, string claimName)
    {
        var claim = pod.Services.Claims.Get(pod.Namespace, claimName)
            ?? throw new ContainerConfigException("ContainerCreating", $"persistentvolumeclaim \"{claimName}\" not found");
        if (J.Text(claim["status"]?["phase"]) != "Bound" || J.Text(claim["spec"]?["volumeName"]).Length == 0)
        {
            throw new ContainerConfigException("ContainerCreating", $"volume \"{name}\": persistentvolumeclaim \"{claimName}\" is not bound yet");
        }

        return Created(pod.Services.VolumeFolder(J.Text(claim["spec"]?["volumeName"])));
    }

    private static Dictionary<string, (byte[], UnixFileMode)> SecretFiles(PodContext pod, string volume, JsonObject source)
    {
        var name = J.Text(source["secretName"]);
        var data = ContainerEnvironment.Decoded(pod.Services.Secrets.Get(pod.Namespace, name));
        if (data is null && !J.Bool(source["optional"], false))
        {
            throw new ContainerConfigException("ContainerCreating", $"MountVolume.SetUp failed for volume \"{volume}\" : secret \"{name}\" not found");
        }

        return Files(data ?? [], source["items"], Mode(source["defaultMode"]));
    }

    private static Dictionary<string, (byte[], UnixFileMode)> ConfigMapFiles(PodContext pod, string volume, JsonObject source)
    {
        var name = J.Text(source["name"]);
        var data = ContainerEnvironment.Plain(pod.Services.ConfigMaps.Get(pod.Namespace, name));
        if (data is null && !J.Bool(source["optional"], false))
        {
            throw new ContainerConfigException("ContainerCreating", $"MountVolume.SetUp failed for volume \"{volume}\" : configmap \"{name}\" not found");
        }

        return Files(data ?? [], source["items"], Mode(source["defaultMode"]));
    }

    private static Dictionary<string, (byte[], UnixFileMode)> DownwardFiles(PodContext pod, JsonObject source)
    {
        var mode = Mode(source["defaultMode"]);
        var files = new Dictionary<string, (byte[], UnixFileMode)>(StringComparer.Ordinal);
        foreach (var item in J.Objects(source["items"]))
        {
            var path = J.Text(item["fieldRef"]?["fieldPath"]);
            var value = ContainerEnvironment.FieldValue(pod, path)
                ?? throw new ContainerConfigException("ContainerCreating", $"downwardAPI: unsupported fieldPath {path}");
            files[J.Text(item["path"])] = (Encoding.UTF8.GetBytes(value), item["mode"] is null ? mode : Mode(item["mode"]));
        }

        return files;
    }

    private static Dictionary<string, (byte[], UnixFileMode)> ProjectedFiles(PodContext pod, string volume, JsonObject projected)
    {
        var files = new Dictionary<string, (byte[], UnixFileMode)>(StringComparer.Ordinal);
        var mode = Mode(projected["defaultMode"]);
        foreach (var source in J.Objects(projected["sources"]))
        {
            var part = source switch
            {
                _ when source["secret"] is JsonObject secret => SecretFiles(pod, volume, new JsonObject { ["secretName"] = J.Text(secret["name"]), ["items"] = secret["items"]?.DeepClone(), ["optional"] = secret["optional"]?.DeepClone(), ["defaultMode"] = projected["defaultMode"]?.DeepClone() }),
                _ when source["configMap"] is JsonObject map => ConfigMapFiles(pod, volume, new JsonObject { ["name"] = J.Text(map["name"]), ["items"] = map["items"]?.DeepClone(), ["optional"] = map["optional"]?.DeepClone(), ["defaultMode"] = projected["defaultMode"]?.DeepClone() }),
                _ when source["downwardAPI"] is JsonObject downward => DownwardFiles(pod, new JsonObject { ["items"] = downward["items"]?.DeepClone(), ["defaultMode"] = projected["defaultMode"]?.DeepClone() }),
                _ when source["serviceAccountToken"] is JsonObject token => new Dictionary<string, (byte[], UnixFileMode)>
                {
                    [J.Text(token["path"]) is { Length: > 0 } path ? path : "token"] = (Encoding.UTF8.GetBytes(pod.Services.TokenFor(pod)), mode),
                },
                _ => [],
            };
            foreach (var (path, file) in part) files[path] = file;
        }

        return files;
    }

    /// <summary>The files of the <c>kube-api-access-*</c> volume: the pod's token, the cluster's CA and its namespace.</summary>
    private static Dictionary<string, (byte[], UnixFileMode)> ServiceAccountFiles(PodContext pod, string tokenPath) => new(StringComparer.Ordinal)
    {
        [tokenPath] = (Encoding.UTF8.GetBytes(pod.Services.TokenFor(pod)), Mode(null)),
        ["ca.crt"] = (Encoding.UTF8.GetBytes(pod.Services.CaPem), Mode(null)),
        ["namespace"] = (Encoding.UTF8.GetBytes(pod.Namespace), Mode(null)),
    };

    private static Dictionary<string, (byte[], UnixFileMode)> Files(Dictionary<string, string> data, JsonNode? items, UnixFileMode mode)
    {
        var chosen = J.Objects(items).ToList();
        if (chosen.Count == 0) return data.ToDictionary(p => p.Key, p => (Encoding.UTF8.GetBytes(p.Value), mode), StringComparer.Ordinal);
        return chosen.Where(i => data.ContainsKey(J.Text(i["key"])))
            .ToDictionary(i => J.Text(i["path"]), i => (Encoding.UTF8.GetBytes(data[J.Text(i["key"])]), i["mode"] is null ? mode : Mode(i["mode"])), StringComparer.Ordinal);
    }

    /// <summary>A volume's file mode, decimal in JSON: 420 is 0644, the default.</summary>
    private static UnixFileMode Mode(JsonNode? node) => (UnixFileMode)J.Int(node, 420);
}
