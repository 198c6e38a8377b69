using System.Diagnostics;
using System.Text;
using Archiver.Actors.Embedded;
using Archiver.Emulators.MongoDb;
using Archiver.Host.Adapters;
using Archiver.Host.Cli;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Storage.Backends;
using Archiver.Storage.Oplog;
using k8s;
using k8s.Models;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Host.Tests;

/// <summary>
/// <c>archiver sidecar</c> given the storage as the node injects it: the BackupStorage in <c>$ARCHIVER_BACKUP_STORAGE</c>
/// and its secrets in a folder of mounted secrets, opened as the node opens it, so the node reads what it wrote.
/// </summary>
public sealed class SidecarStorageTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("archiver-sidecar-storage-").FullName;

    [Fact]
    public async Task A_sidecar_given_an_encrypted_local_storage_in_its_variable_archives_what_the_node_reads_back()
    {
        await using var mongo = await MongoEmulator.StartAsync(new MongoEmulatorOptions());
        var volume = Directory.CreateDirectory(Path.Combine(_folder, "volume")).FullName;
        var key = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(255 - i)).ToArray());
        // The copy of the storage's key, mounted as the node mounts it: <root>/<the source's namespace>/<name>/<key>.
        new SecretFolder(Path.Combine(_folder, "mounted")).Write(new ResourceId("stash", "storage-key"), BackupStorageSecrets.EncryptionKey, key);
        var storage = Storage(volume);
        var client = new MongoClient(mongo.ConnectionString);
        var said = new StringBuilder();
        using var sidecar = StartSidecar(KubernetesJson.Serialize(storage), mongo.ConnectionString, Path.Combine(_folder, "mounted"), said);
        try
        {
            await client.GetDatabase("shop").GetCollection<BsonDocument>("orders").InsertManyAsync(Enumerable.Range(0, 100).Select(i => new BsonDocument("_id", i)));
            var chunks = Path.Combine(volume, "team-a", "db", "MongoDB", "demo", "mg-rs", "oplog");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!(Directory.Exists(chunks) && Directory.EnumerateFiles(chunks, "*.oplog", SearchOption.AllDirectories).Any()))
            {
                Assert.False(sidecar.HasExited, $"the sidecar exited: {Said()}");
                Assert.True(DateTime.UtcNow < deadline, $"no chunk within 30 s: {Said()}");
                await Task.Delay(100);
            }

            var chunk = Path.GetRelativePath(Path.Combine(volume, "team-a"), Directory.EnumerateFiles(chunks, "*.oplog", SearchOption.AllDirectories).First()).Replace('\\', '/');

            // The node: the same resource from its store, the key from its own secret source (the API server's in a cluster).
            var nodeSecrets = new SecretFolder(Path.Combine(_folder, "node"));
            nodeSecrets.Write(new ResourceId("stash", "storage-key"), BackupStorageSecrets.EncryptionKey, key);
            var resources = new InMemoryResourceStore();
            await resources.CreateAsync(storage);
            using var node = new ObjectStoreProvider(resources, nodeSecrets, LocalFolders.Mounted);
            using var reader = new OplogChunkReader(await node.OpenAsync(ResourceId.Of(storage)));
            Assert.True((await reader.ReadAsync(chunk)).Entries.Count > 0);
            // Encrypted at rest: without the key the same object is no chunk.
            using var plain = new OplogChunkReader(new LocalFolderStore(Path.Combine(volume, "team-a")));
            await Assert.ThrowsAnyAsync<Exception>(() => plain.ReadAsync(chunk));
        }
        finally
        {
            // As a node's pod is stopped; what it published stays.
            sidecar.Kill(entireProcessTree: true);
            await sidecar.WaitForExitAsync();
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
        }

        string Said()
        {
            lock (said) return said.ToString();
        }
    }

    [Fact]
    public async Task A_storage_the_sidecar_cannot_open_is_refused_with_the_reason()
    {
        var mounted = Path.Combine(_folder, "mounted");
        var notMounted = await Assert.ThrowsAsync<CommandFailure>(() => SidecarCommand.OpenStorageAsync(KubernetesJson.Serialize(Storage(Path.Combine(_folder, "absent"))), mounted, CancellationToken.None));
        var noKey = await Assert.ThrowsAsync<CommandFailure>(() => SidecarCommand.OpenStorageAsync(KubernetesJson.Serialize(Storage(_folder)), mounted, CancellationToken.None));
        var notStorage = await Assert.ThrowsAsync<CommandFailure>(() => SidecarCommand.OpenStorageAsync("{\"kind\":\"BackupStorage\"}", mounted, CancellationToken.None));

        Assert.Contains("is not a folder mounted here", notMounted.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_folder, "absent")));
        Assert.StartsWith("secret stash/storage-key not found", noKey.Message, StringComparison.Ordinal);
        Assert.StartsWith("$ARCHIVER_BACKUP_STORAGE: ", notStorage.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A storage in KubeStash's shared namespace, its key beside it, as the node would inject it.</summary>
    private static BackupStorage Storage(string mountPath) => new()
    {
        ApiVersion = BackupStorage.ApiVersionName,
        Kind = BackupStorage.KindName,
        Metadata = new V1ObjectMeta { Name = "shared", NamespaceProperty = "stash" },
        Spec = new BackupStorageSpec
        {
            Storage = new StorageBackend
            {
                Provider = StorageProvider.Local,
                Local = new LocalBackendSpec { MountPath = mountPath, SubPath = "team-a", HostPath = System.Text.Json.JsonSerializer.SerializeToElement(new { path = mountPath }) },
            },
            EncryptionSecret = new ObjectRef { Name = "storage-key" },
        },
    };

    /// <summary>The sidecar in a process of its own, so its environment is its own, as in a container.</summary>
    private static Process StartSidecar(string storageJson, string uri, string secrets, StringBuilder said)
    {
        var start = new ProcessStartInfo(NodeProcess.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "archiver.dll"), "sidecar", "--prefix", "db/MongoDB/demo/mg-rs", "--database-uid", "uid-1", "--status-interval", "1", "--secrets-dir", secrets })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment[SidecarCommand.StorageVariable] = storageJson;
        start.Environment["ARCHIVER_MONGODB_URI"] = uri;
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        DataReceivedEventHandler keep = (_, line) =>
        {
            lock (said) said.AppendLine(line.Data);
        };
        process.OutputDataReceived += keep;
        process.ErrorDataReceived += keep;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
