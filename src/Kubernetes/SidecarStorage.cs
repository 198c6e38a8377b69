using System.Security.Cryptography;
using System.Text;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s;
using k8s.Models;

namespace Archiver.Kubernetes;

/// <summary>
/// The BackupStorage as the sidecar is given it, so it opens the repository exactly as the node does (the same
/// function, <c>StorageBackends.OpenAsync</c> in src/Host/Adapters): the resource itself in
/// <see cref="EnvironmentVariable"/> (name, namespace, and the spec's <c>storage</c> and <c>encryptionSecret</c>; never
/// a secret value), and each secret it names copied into the database's namespace and mounted where a secrets
/// folder expects it (<c>&lt;root&gt;/&lt;namespace&gt;/&lt;name&gt;/&lt;key&gt;</c>, src/Host/Adapters/SecretFolder.cs).
/// <para>Why copies: a pod mounts only secrets of its own namespace, and the storage's secrets live in the storage's
/// (often a shared <c>stash</c> namespace). Reading them cross-namespace from the sidecar would give every database's
/// service account <c>get</c> on secrets there, every other database's keys included; a copy holding only the keys
/// this storage reads, owned by the database, gives the sidecar no Secret access at all (docs/cluster.md).</para>
/// </summary>
public static class SidecarStorage
{
    /// <summary>The sidecar's variable holding the BackupStorage as JSON (read by <c>archiver sidecar</c>).</summary>
    public const string EnvironmentVariable = "ARCHIVER_BACKUP_STORAGE";

    /// <summary>Where the sidecar finds the storage's secrets, one folder per secret as the node names it.</summary>
    public const string SecretsRoot = "/var/run/archiver/secrets";

    /// <summary>Pod volumes of secret copies are named this and a hash of the source (a DNS-1123 label).</summary>
    internal const string VolumePrefix = "archiver-secret-";

    /// <summary>Label on every copy: who manages it (so nothing else of the name is ever overwritten or deleted).</summary>
    internal const string ManagedByLabel = "app.kubernetes.io/managed-by";

    internal const string ManagedBy = "archiver.kubedb.com";

    /// <summary>Label on every copy: the database whose sidecar mounts it.</summary>
    internal const string DatabaseLabel = "archiver.kubedb.com/secret-copy-for";

    /// <summary>Annotation on every copy: the secret it copies, <c>namespace/name</c>.</summary>
    internal const string SourceAnnotation = "archiver.kubedb.com/secret-copy-of";

    /// <summary>One secret the storage names, as the sidecar gets it.</summary>
    /// <param name="Name">The copy's name in the database's namespace.</param>
    internal sealed record Copy(SecretKeys Source, string Name)
    {
        public string Volume => VolumePrefix + Hash(Source.Secret, 8);

        public string MountPath => $"{SecretsRoot}/{Source.Secret.Namespace}/{Source.Secret.Name}";
    }

    /// <summary>The storage as JSON for <see cref="EnvironmentVariable"/>: only what opening it reads, so an edit of its usage policy or status rolls no pods.</summary>
    internal static string Json(BackupStorage storage) => KubernetesJson.Serialize(new BackupStorage
    {
        ApiVersion = BackupStorage.ApiVersionName,
        Kind = BackupStorage.KindName,
        Metadata = new V1ObjectMeta
        {
            Name = storage.Metadata.Name,
            NamespaceProperty = storage.Metadata.NamespaceProperty,
            // The one annotation opening it reads: an azure or gcs storage's endpoint.
            Annotations = storage.Endpoint is { } endpoint ? new Dictionary<string, string> { [BackupStorage.EndpointAnnotation] = endpoint } : null,
        },
        Spec = new BackupStorageSpec { Storage = storage.Spec?.Storage, EncryptionSecret = storage.Spec?.EncryptionSecret },
    });

    /// <summary>The copies the database's sidecar needs for this storage.</summary>
    internal static IReadOnlyList<Copy> Copies(ResourceId database, BackupStorage storage) =>
        storage.Spec is { } spec
            ? [.. BackupStorageSecrets.Named(ResourceId.Of(storage), spec).Select(source => new Copy(source, CopyName(database.Name, source.Secret)))]
            : [];

    /// <summary>
    /// <c>{database}-archiver-{source name}-{hash of namespace/name}</c>: readable in <c>kubectl get secrets</c>, distinct
    /// for sources of one name in two namespaces, and a DNS-1123 subdomain of at most 253 characters (the source's name
    /// is shortened when it must be).
    /// </summary>
    internal static string CopyName(string database, ResourceId source)
    {
        var head = $"{database}-archiver-";
        var tail = $"-{Hash(source, 10)}";
        var room = Math.Max(0, 253 - head.Length - tail.Length);
        var middle = (source.Name.Length > room ? source.Name[..room] : source.Name).TrimEnd('-', '.');
        return middle.Length == 0 ? $"{database}-archiver{tail}" : head + middle + tail;
    }

    /// <summary>The secret volume of a copy: optional, so a copy deleted by hand fails the sidecar (which says so), never the database's container.</summary>
    internal static V1Volume Volume(Copy copy) => new()
    {
        Name = copy.Volume,
        Secret = new V1SecretVolumeSource { SecretName = copy.Name, Optional = true },
    };

    internal static V1VolumeMount Mount(Copy copy) => new() { Name = copy.Volume, MountPath = copy.MountPath, ReadOnlyProperty = true };

    /// <summary>Whether a secret is a copy this code made of <paramref name="source"/> (null: of any source).</summary>
    internal static bool IsCopy(V1Secret secret, ResourceId? source = null) =>
        secret.Metadata.Labels?.TryGetValue(ManagedByLabel, out var manager) == true && manager == ManagedBy
        && secret.Metadata.Annotations?.TryGetValue(SourceAnnotation, out var of) == true
        && (source is null || of == source.Value.ToString());

    /// <summary>A label value for the database (at most 63 characters: a longer name is shortened and made unique by a hash).</summary>
    internal static string DatabaseLabelValue(string database) =>
        database.Length <= 63 ? database : $"{database[..52].TrimEnd('-', '.')}-{Hash(new ResourceId("", database), 10)}";

    private static string Hash(ResourceId id, int length) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id.ToString())))[..length];
}
