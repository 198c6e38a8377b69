using System.Net;
using System.Net.Sockets;
using System.Text;
using Archiver.Actors.Embedded;
using Archiver.Host.Adapters;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Storage.Backends;
using k8s.Models;

namespace Archiver.Host.Tests;

/// <summary>
/// The one function the node and the sidecars open a BackupStorage with: every S3 setting honoured, secrets from the
/// storage's namespace, the encryption wrapper on both sides, and a cluster's local folders used only when mounted.
/// </summary>
public sealed class StorageBackendsTests : IDisposable
{
    private static readonly ResourceId SharedStorage = new("stash", "shared");

    private readonly string _folder = Directory.CreateTempSubdirectory("archiver-backends-").FullName;

    [Fact]
    public async Task An_s3_storage_is_reached_with_its_prefix_region_and_path_style_and_the_keys_of_the_storages_namespace()
    {
        using var s3 = RecordingS3.Start();
        var secrets = new SecretFolder(Path.Combine(_folder, "secrets"));
        secrets.Write(new ResourceId("stash", "s3-keys"), BackupStorageSecrets.AccessKeyId, "AKIASTASH");
        secrets.Write(new ResourceId("stash", "s3-keys"), BackupStorageSecrets.SecretAccessKey, "stash-secret");
        // A secret of the same name in a database's namespace is not the storage's.
        secrets.Write(new ResourceId("demo", "s3-keys"), BackupStorageSecrets.AccessKeyId, "AKIADEMO");
        var spec = S3Spec(s3.Url, forcePathStyle: true);

        var store = await StorageBackends.OpenAsync(SharedStorage, spec, secrets);
        using var _ = store as IDisposable;
        await store.PutBytesAsync("db/MongoDB/demo/mg-rs/probe", "x"u8.ToArray());

        var put = Assert.Single(s3.Requests, r => r.Method == "PUT");
        Assert.Equal("/backups/team-a/prod/db/MongoDB/demo/mg-rs/probe", put.Path);
        Assert.Contains("Credential=AKIASTASH/", put.Authorization, StringComparison.Ordinal);
        Assert.Contains("/eu-west-3/s3/aws4_request", put.Authorization, StringComparison.Ordinal);
    }

    [Fact]
    public void Path_style_follows_the_storage_and_unset_fields_take_KubeStashs_defaults()
    {
        var virtualHosted = StorageBackends.S3Settings(S3Spec(new Uri("https://s3.example.com"), forcePathStyle: false).Storage!.S3!, "a", "b");
        var bare = StorageBackends.S3Settings(new S3BackendSpec { Endpoint = "https://s3.example.com", Bucket = "b" }, "a", "b");

        Assert.False(S3ObjectStore.CreateConfig(virtualHosted).ForcePathStyle);
        Assert.Equal(("team-a/prod", "eu-west-3"), (virtualHosted.Prefix, virtualHosted.Region));
        Assert.True(S3ObjectStore.CreateConfig(bare).ForcePathStyle);
        Assert.Equal(("", "us-east-1"), (bare.Prefix, bare.Region));
    }

    [Fact]
    public async Task An_azure_storage_is_opened_with_its_account_container_prefix_and_the_key_of_the_storages_namespace_which_the_sidecars_get_too()
    {
        var spec = new BackupStorageSpec
        {
            Storage = new StorageBackend
            {
                Provider = StorageProvider.Azure,
                Azure = new AzureBackendSpec { StorageAccount = "stashacct", Container = "backups", Prefix = "team-a", SecretName = "azure-keys", MaxConnections = 8 },
            },
        };
        var settings = StorageBackends.AzureSettings(spec.Storage.Azure!, "a2V5");

        Assert.Equal(("stashacct", "backups", "team-a", 8), (settings.Account, settings.Container, settings.Prefix, settings.MaxConnections));
        Assert.Equal(new Uri("https://stashacct.blob.core.windows.net"), settings.ServiceUriOrDefault);
        var handedOn = Assert.Single(BackupStorageSecrets.Named(SharedStorage, spec));
        Assert.Equal((new ResourceId("stash", "azure-keys"), BackupStorageSecrets.AzureAccountKey), (handedOn.Secret, Assert.Single(handedOn.Keys)));

        // No key in the storage's namespace: said, naming the secret and the key, before anything is sent.
        var secrets = new SecretFolder(Path.Combine(_folder, "secrets"));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => StorageBackends.OpenAsync(SharedStorage, spec, secrets));
        Assert.Contains("azure-keys", error.Message, StringComparison.Ordinal);
        secrets.Write(new ResourceId("stash", "azure-keys"), BackupStorageSecrets.AzureAccountKey, "a2V5");
        Assert.IsType<AzureBlobStore>(await StorageBackends.OpenAsync(SharedStorage, spec, secrets));
    }

    [Fact]
    public void An_azure_or_gcs_storage_reaches_the_endpoint_its_annotation_names_and_the_annotation_is_refused_elsewhere()
    {
        var azure = Storage(new StorageBackend { Provider = StorageProvider.Azure, Azure = new AzureBackendSpec { StorageAccount = "devstoreaccount1", Container = "c", SecretName = "k" } }, "http://127.0.0.1:10000/devstoreaccount1");
        var gcs = Storage(new StorageBackend { Provider = StorageProvider.Gcs, Gcs = new GcsBackendSpec { Bucket = "b", SecretName = "k" } }, "https://storage.example.com/storage/v1/");
        var s3 = Storage(new StorageBackend { Provider = StorageProvider.S3, S3 = new S3BackendSpec { Endpoint = "http://s3.example.com", Bucket = "b", SecretName = "k" } }, "http://127.0.0.1:9000");
        var notUri = Storage(azure.Spec!.Storage!, "127.0.0.1:10000");

        Assert.Equal(new Uri("http://127.0.0.1:10000/devstoreaccount1"), StorageBackends.AzureSettings(azure.Spec.Storage!.Azure!, "a2V5", StorageBackends.Endpoint(azure)).ServiceUriOrDefault);
        Assert.Equal(new Uri("https://storage.example.com/storage/v1/"), StorageBackends.GcsSettings(gcs.Spec!.Storage!.Gcs!, "{}", StorageBackends.Endpoint(gcs)).BaseUriOrDefault);
        Assert.Null(StorageBackends.Endpoint(Storage(azure.Spec.Storage!, null)));
        Assert.Contains("is for azure and gcs storages", Assert.Throws<InvalidOperationException>(() => StorageBackends.Endpoint(s3)).Message, StringComparison.Ordinal);
        Assert.Contains("must be an absolute http or https URI", Assert.Throws<InvalidOperationException>(() => StorageBackends.Endpoint(notUri)).Message, StringComparison.Ordinal);
    }

    private static BackupStorage Storage(StorageBackend backend, string? endpoint) => new()
    {
        ApiVersion = BackupStorage.ApiVersionName,
        Kind = BackupStorage.KindName,
        Metadata = new k8s.Models.V1ObjectMeta
        {
            Name = "shared",
            NamespaceProperty = "stash",
            Annotations = endpoint is null ? null : new Dictionary<string, string> { [BackupStorage.EndpointAnnotation] = endpoint },
        },
        Spec = new BackupStorageSpec { Storage = backend },
    };

    [Fact]
    public async Task A_gcs_storage_is_opened_with_its_bucket_prefix_and_the_service_account_key_of_the_storages_namespace_which_the_sidecars_get_too()
    {
        var spec = new BackupStorageSpec
        {
            Storage = new StorageBackend
            {
                Provider = StorageProvider.Gcs,
                Gcs = new GcsBackendSpec { Bucket = "archiver-backups", Prefix = "team-a", SecretName = "gcs-keys", MaxConnections = 8 },
            },
        };
        var key = ServiceAccountKey();
        var settings = StorageBackends.GcsSettings(spec.Storage.Gcs!, key);

        Assert.Equal(("archiver-backups", "team-a", 8, key), (settings.Bucket, settings.Prefix, settings.MaxConnections, settings.ServiceAccountJson));
        Assert.Equal(new Uri("https://storage.googleapis.com/storage/v1/"), settings.BaseUriOrDefault);
        var handedOn = Assert.Single(BackupStorageSecrets.Named(SharedStorage, spec));
        Assert.Equal((new ResourceId("stash", "gcs-keys"), BackupStorageSecrets.GoogleServiceAccountJsonKey), (handedOn.Secret, Assert.Single(handedOn.Keys)));

        // No key in the storage's namespace, or one that is no service account key: said, naming the secret and the key, never its content.
        var secrets = new SecretFolder(Path.Combine(_folder, "secrets"));
        var missing = await Assert.ThrowsAnyAsync<Exception>(() => StorageBackends.OpenAsync(SharedStorage, spec, secrets));
        Assert.Contains("gcs-keys", missing.Message, StringComparison.Ordinal);
        secrets.Write(new ResourceId("stash", "gcs-keys"), BackupStorageSecrets.GoogleServiceAccountJsonKey, "{\"type\": \"authorized_user\", \"refresh_token\": \"s3cr3t\"}");
        var wrong = await Assert.ThrowsAsync<InvalidOperationException>(() => StorageBackends.OpenAsync(SharedStorage, spec, secrets));
        Assert.Equal("BackupStorage stash/shared: secret stash/gcs-keys key GOOGLE_SERVICE_ACCOUNT_JSON_KEY is not a Google service account key (JSON with type service_account, client_email and private_key)", wrong.Message);
        secrets.Write(new ResourceId("stash", "gcs-keys"), BackupStorageSecrets.GoogleServiceAccountJsonKey, key);
        using var store = Assert.IsType<GcsObjectStore>(await StorageBackends.OpenAsync(SharedStorage, spec, secrets));
    }

    [Fact]
    public async Task A_gcs_storage_without_a_secret_is_refused_naming_the_field_rather_than_using_whatever_credentials_the_pod_has()
    {
        var spec = new BackupStorageSpec { Storage = new StorageBackend { Provider = StorageProvider.Gcs, Gcs = new GcsBackendSpec { Bucket = "b" } } };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StorageBackends.OpenAsync(SharedStorage, spec, new SecretFolder(Path.Combine(_folder, "secrets"))));

        Assert.Equal("BackupStorage stash/shared: spec.storage.gcs.secretName names no service account key (GOOGLE_SERVICE_ACCOUNT_JSON_KEY)", error.Message);
    }

    [Fact]
    public async Task What_either_side_writes_encrypted_the_other_reads_with_the_key_from_the_storages_namespace()
    {
        var mount = Directory.CreateDirectory(Path.Combine(_folder, "volume")).FullName;
        var key = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray());
        // The node reads the API server's secrets (here a folder); the sidecar its mounted copies (<root>/<namespace>/<name>/<key>).
        var nodeSecrets = new SecretFolder(Path.Combine(_folder, "node-secrets"));
        var sidecarSecrets = new SecretFolder(Path.Combine(_folder, "mounted-secrets"));
        foreach (var folder in new[] { nodeSecrets, sidecarSecrets }) folder.Write(new ResourceId("stash", "storage-key"), BackupStorageSecrets.EncryptionKey, key);
        nodeSecrets.Write(new ResourceId("demo", "storage-key"), BackupStorageSecrets.EncryptionKey, Convert.ToBase64String(new byte[32]));
        var resources = new InMemoryResourceStore();
        var storage = LocalStorage(mount, new ObjectRef { Name = "storage-key" });
        await resources.CreateAsync(storage);
        using var node = new ObjectStoreProvider(resources, nodeSecrets, LocalFolders.Mounted);

        var sidecar = await StorageBackends.OpenAsync(SharedStorage, storage.Spec!, sidecarSecrets, LocalFolders.Mounted);
        await sidecar.PutBytesAsync("oplog/chunk", "the oplog, in plain words"u8.ToArray());
        var nodeStore = await node.OpenAsync(SharedStorage);
        await nodeStore.PutBytesAsync("backups/full", "a full backup"u8.ToArray());

        Assert.Equal("the oplog, in plain words"u8.ToArray(), await nodeStore.GetBytesAsync("oplog/chunk"));
        Assert.Equal("a full backup"u8.ToArray(), await sidecar.GetBytesAsync("backups/full"));
        Assert.DoesNotContain("plain words", Encoding.UTF8.GetString(await File.ReadAllBytesAsync(Path.Combine(mount, "team-a", "oplog", "chunk"))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_a_cluster_a_local_folder_is_used_only_where_it_is_mounted_and_never_made()
    {
        var missing = Path.Combine(_folder, "not-mounted");
        var secrets = new SecretFolder(Path.Combine(_folder, "secrets"));

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => StorageBackends.OpenAsync(SharedStorage, LocalStorage(missing, null).Spec!, secrets, LocalFolders.Mounted));
        var embedded = await StorageBackends.OpenAsync(SharedStorage, LocalStorage(Path.Combine(_folder, "made"), null).Spec!, secrets);

        Assert.StartsWith($"BackupStorage stash/shared: spec.storage.local.mountPath {missing} is not a folder mounted here (no such folder)", refused.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing));
        Assert.NotNull(embedded);
        Assert.True(Directory.Exists(Path.Combine(_folder, "made", "team-a")));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A service account key as Google's console downloads it (a fresh RSA key; nothing is sent with it here).</summary>
    private static string ServiceAccountKey()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        return new System.Text.Json.Nodes.JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = "p",
            ["private_key_id"] = "0123456789abcdef",
            ["private_key"] = rsa.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = "archiver@p.iam.gserviceaccount.com",
            ["client_id"] = "1",
            ["token_uri"] = "https://oauth2.googleapis.com/token",
        }.ToJsonString();
    }

    private static BackupStorageSpec S3Spec(Uri endpoint, bool forcePathStyle) => new()
    {
        Storage = new StorageBackend
        {
            Provider = StorageProvider.S3,
            S3 = new S3BackendSpec
            {
                Endpoint = endpoint.ToString(),
                Bucket = "backups",
                Prefix = "team-a/prod",
                Region = "eu-west-3",
                ForcePathStyle = forcePathStyle,
                SecretName = "s3-keys",
            },
        },
    };

    private static BackupStorage LocalStorage(string mountPath, ObjectRef? encryption) => new()
    {
        ApiVersion = BackupStorage.ApiVersionName,
        Kind = BackupStorage.KindName,
        Metadata = new V1ObjectMeta { Name = SharedStorage.Name, NamespaceProperty = SharedStorage.Namespace },
        Spec = new BackupStorageSpec
        {
            Storage = new StorageBackend { Provider = StorageProvider.Local, Local = new LocalBackendSpec { MountPath = mountPath, SubPath = "team-a" } },
            EncryptionSecret = encryption,
        },
    };

    /// <summary>An S3 endpoint that accepts every write and remembers each request's method, path and signature.</summary>
    private sealed class RecordingS3 : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<(string Method, string Path, string Authorization)> _requests = [];

        private RecordingS3(int port)
        {
            Url = new Uri($"http://127.0.0.1:{port}/");
            _listener.Prefixes.Add(Url.ToString());
            _listener.Start();
            _ = ServeAsync();
        }

        public Uri Url { get; }

        public IReadOnlyList<(string Method, string Path, string Authorization)> Requests
        {
            get
            {
                lock (_requests) return [.. _requests];
            }
        }

        public static RecordingS3 Start()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return new RecordingS3(port);
        }

        public void Dispose() => _listener.Close();

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                await context.Request.InputStream.CopyToAsync(Stream.Null);
                lock (_requests) _requests.Add((context.Request.HttpMethod, context.Request.Url!.AbsolutePath, context.Request.Headers["Authorization"] ?? ""));
                context.Response.StatusCode = 200;
                context.Response.AddHeader("ETag", "\"d41d8cd98f00b204e9800998ecf8427e\"");
                context.Response.Close();
            }
        }
    }
}
