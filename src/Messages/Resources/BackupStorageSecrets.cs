using Archiver.Messages.Protocol;

namespace Archiver.Messages.Resources;

/// <summary>
/// The secrets a BackupStorage names and the keys read from each, by KubeStash's names: the S3 credentials
/// (<c>s3.secretName</c>, in the storage's own namespace), the Azure account key (<c>azure.secretName</c>, likewise), the GCS
/// service account key (<c>gcs.secretName</c>, likewise) and the encryption key (<c>encryptionSecret</c>, whose
/// namespace defaults to the storage's). One definition for whoever opens the storage (the node, the sidecar) and
/// whoever hands its secrets on to the sidecars, so they can never disagree on where a key comes from.
/// </summary>
public static class BackupStorageSecrets
{
    public const string AccessKeyId = "AWS_ACCESS_KEY_ID";
    public const string SecretAccessKey = "AWS_SECRET_ACCESS_KEY";
    public const string EncryptionKey = "key";

    /// <summary>KubeStash's key for an Azure storage account's shared key, in <c>azure.secretName</c>.</summary>
    public const string AzureAccountKey = "AZURE_ACCOUNT_KEY";

    /// <summary>
    /// KubeStash's key for a GCS service account key (the JSON file), in <c>gcs.secretName</c>: the one key KubeStash's own
    /// storage code reads from that secret (kubestash/apimachinery <c>pkg/blob/blob.go</c>). Its docs also put
    /// <c>GOOGLE_PROJECT_ID</c> there; no object operation needs a project, so it is not read.
    /// </summary>
    public const string GoogleServiceAccountJsonKey = "GOOGLE_SERVICE_ACCOUNT_JSON_KEY";

    /// <summary>The secret with the S3 keys, or null: not an S3 storage, or one that names none.</summary>
    public static ResourceId? S3Credentials(ResourceId storage, BackupStorageSpec spec) =>
        spec.Storage is { Provider: StorageProvider.S3, S3.SecretName: { Length: > 0 } name } ? new ResourceId(storage.Namespace, name) : null;

    /// <summary>The secret with the Azure account key, or null: not an Azure storage, or one that names none.</summary>
    public static ResourceId? AzureCredentials(ResourceId storage, BackupStorageSpec spec) =>
        spec.Storage is { Provider: StorageProvider.Azure, Azure.SecretName: { Length: > 0 } name } ? new ResourceId(storage.Namespace, name) : null;

    /// <summary>The secret with the GCS service account key, or null: not a GCS storage, or one that names none.</summary>
    public static ResourceId? GcsCredentials(ResourceId storage, BackupStorageSpec spec) =>
        spec.Storage is { Provider: StorageProvider.Gcs, Gcs.SecretName: { Length: > 0 } name } ? new ResourceId(storage.Namespace, name) : null;

    /// <summary>The secret with the encryption key, or null: objects are stored as they are.</summary>
    public static ResourceId? Encryption(ResourceId storage, BackupStorageSpec spec) =>
        spec.EncryptionSecret is { } secret ? new ResourceId(secret.NamespaceOr(storage.Namespace), secret.Name) : null;

    /// <summary>Every secret the storage reads, once each, with the keys read from it (both sets when one secret serves twice).</summary>
    public static IReadOnlyList<SecretKeys> Named(ResourceId storage, BackupStorageSpec spec)
    {
        var named = new List<(ResourceId Secret, string Key)>();
        if (S3Credentials(storage, spec) is { } s3) named.AddRange([(s3, AccessKeyId), (s3, SecretAccessKey)]);
        if (AzureCredentials(storage, spec) is { } azure) named.Add((azure, AzureAccountKey));
        if (GcsCredentials(storage, spec) is { } gcs) named.Add((gcs, GoogleServiceAccountJsonKey));
        if (Encryption(storage, spec) is { } encryption) named.Add((encryption, EncryptionKey));
        return [.. named.GroupBy(n => n.Secret).Select(g => new SecretKeys(g.Key, [.. g.Select(n => n.Key).Distinct(StringComparer.Ordinal)]))];
    }
}
