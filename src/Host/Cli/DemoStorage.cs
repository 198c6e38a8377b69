using Archiver.Emulators.Gcs;
using Archiver.Host.Adapters;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Storage.Backends;

namespace Archiver.Host.Cli;

/// <summary>
/// The remote storage <c>archiver demo --storage gcs|azure</c> keeps its backups in: the GCS stand-in (in this
/// process) or Azurite (Microsoft's Azure Storage server, npm), a bucket or container made for the demo, its key written
/// as the secret KubeStash's storage names, and the BackupStorage manifest that points at it, its endpoint given by the
/// <c>archiver.kubedb.com/storage-endpoint</c> annotation (docs/storage.md).
/// </summary>
internal sealed class DemoStorage : IAsyncDisposable
{
    private const string Bucket = "archiver-demo";
    private readonly Func<ValueTask> _stop;

    private DemoStorage(string name, string manifest, string description, string where, Func<Task<int>> objects, Func<ValueTask> stop)
    {
        Name = name;
        Manifest = manifest;
        Description = description;
        Where = where;
        Objects = objects;
        _stop = stop;
    }

    /// <summary>The BackupStorage's name (<c>gcs-storage</c>, <c>azure-storage</c>).</summary>
    public string Name { get; }

    public string Manifest { get; }

    public string Description { get; }

    /// <summary>Where the backups are, for the verdict.</summary>
    public string Where { get; }

    /// <summary>How many objects the demo's bucket or container holds now.</summary>
    public Func<Task<int>> Objects { get; }

    /// <summary>The storage <paramref name="kind"/> names, started; null for <c>local</c>.</summary>
    public static async Task<DemoStorage?> StartAsync(string kind, string folder, SecretFolder secrets, CancellationToken cancellation)
    {
        switch (kind)
        {
            case "gcs":
            {
                var gcs = await GcsEmulator.StartAsync(cancellation: cancellation);
                gcs.CreateBucket(Bucket);
                secrets.Write(new ResourceId("demo", "gcs-credentials"), BackupStorageSecrets.GoogleServiceAccountJsonKey, gcs.CreateServiceAccountKey());
                return new DemoStorage(
                    "gcs-storage",
                    ManifestOf("gcs-storage", gcs.BaseUri, "gcs", $"bucket: {Bucket}\n      prefix: demo\n      secretName: gcs-credentials"),
                    $"GCS stand-in (src/Emulators/Gcs) at {gcs.BaseUri}: bucket {Bucket}, a service account key in secret demo/gcs-credentials",
                    $"GCS bucket {Bucket}",
                    () => Task.FromResult(gcs.ObjectNames(Bucket).Count),
                    gcs.DisposeAsync);
            }

            case "azure":
            {
                var stops = new List<Func<Task>>();
                try
                {
                    var endpoint = await DemoServers.StartAzuriteAsync(Path.Combine(folder, "azurite"), stops, cancellation);
                    var store = new AzureBlobStore(new AzureBlobSettings { Account = DemoServers.AzuriteAccount, AccountKey = DemoServers.AzuriteKey, Container = Bucket, ServiceUri = endpoint });
                    await store.CreateContainerIfMissingAsync(cancellation);
                    secrets.Write(new ResourceId("demo", "azure-credentials"), BackupStorageSecrets.AzureAccountKey, DemoServers.AzuriteKey);
                    return new DemoStorage(
                        "azure-storage",
                        ManifestOf("azure-storage", endpoint, "azure", $"storageAccount: {DemoServers.AzuriteAccount}\n      container: {Bucket}\n      prefix: demo\n      secretName: azure-credentials"),
                        $"Azurite at {endpoint}: container {Bucket} of account {DemoServers.AzuriteAccount}, its key in secret demo/azure-credentials",
                        $"Azure container {Bucket}",
                        () => CountAsync(store),
                        async () =>
                        {
                            foreach (var stop in Enumerable.Reverse(stops)) await stop();
                        });
                }
                catch
                {
                    foreach (var stop in Enumerable.Reverse(stops)) await stop();
                    throw;
                }
            }

            default:
                return null;
        }
    }

    public ValueTask DisposeAsync() => _stop();

    private static string ManifestOf(string name, Uri endpoint, string provider, string block) => $"""
        # Where the demo keeps its backups: {provider}, at the endpoint the annotation names (KubeStash's {provider} block has none).
        apiVersion: storage.kubestash.com/v1alpha1
        kind: BackupStorage
        metadata:
          name: {name}
          namespace: demo
          annotations:
            {BackupStorage.EndpointAnnotation}: "{endpoint}"
        spec:
          storage:
            provider: {provider}
            {provider}:
              {block}
          usagePolicy:
            allowedNamespaces:
              from: Same
          deletionPolicy: Delete

        """;

    private static async Task<int> CountAsync(IObjectStore store)
    {
        var count = 0;
        await foreach (var _ in store.ListAllAsync("demo/"))
        {
            count++;
        }

        return count;
    }
}
