using System.Text;
using Archiver.Actors.Embedded;
using Archiver.Actors.Ports;
using Archiver.Host.Adapters;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Resources;
using Archiver.Storage.Backends;
using k8s.Models;

namespace Archiver.Host.Tests;

/// <summary>The adapters behind the actors' ports that need no replica set: storages from resources, secrets, wiping, database maps.</summary>
public sealed class AdapterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("archiver-adapters-").FullName;
    private readonly InMemoryResourceStore _store = new();

    private SecretFolder Secrets => new(Path.Combine(_folder, "secrets"));

    [Fact]
    public async Task A_local_storage_with_an_encryption_secret_stores_ciphertext_and_reads_back_the_plaintext()
    {
        Secrets.Write(new ResourceId("demo", "key"), ObjectStoreProvider.EncryptionKey, Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray()));
        await _store.CreateAsync(Storage("encrypted", new ObjectRef { Name = "key" }));
        using var provider = new ObjectStoreProvider(_store, Secrets);

        var store = await provider.OpenAsync(new ResourceId("demo", "encrypted"));
        await store.PutBytesAsync("a/b.txt", Encoding.UTF8.GetBytes("the oplog, in plain words"));

        var raw = await File.ReadAllBytesAsync(Path.Combine(_folder, "encrypted", "a", "b.txt"));
        Assert.DoesNotContain("plain words", Encoding.UTF8.GetString(raw));
        Assert.Equal("the oplog, in plain words", Encoding.UTF8.GetString(await store.GetBytesAsync("a/b.txt")));
    }

    [Fact]
    public async Task A_missing_secret_is_named_without_any_value_and_a_gcs_storage_without_a_key_says_which_field()
    {
        await _store.CreateAsync(Storage("encrypted", new ObjectRef { Name = "absent" }));
        await _store.CreateAsync(new BackupStorage
        {
            ApiVersion = BackupStorage.ApiVersionName,
            Kind = BackupStorage.KindName,
            Metadata = new V1ObjectMeta { Name = "gcs", NamespaceProperty = "demo" },
            Spec = new BackupStorageSpec { Storage = new StorageBackend { Provider = StorageProvider.Gcs, Gcs = new GcsBackendSpec { Bucket = "b" } } },
        });
        using var provider = new ObjectStoreProvider(_store, Secrets);

        var missing = await Assert.ThrowsAsync<SecretNotFoundException>(() => provider.OpenAsync(new ResourceId("demo", "encrypted")));
        var gcs = await Assert.ThrowsAsync<InvalidOperationException>(() => provider.OpenAsync(new ResourceId("demo", "gcs")));

        Assert.StartsWith("secret demo/absent not found", missing.Message);
        Assert.Contains("spec.storage.gcs.secretName", gcs.Message);
    }

    [Fact]
    public async Task The_janitor_empties_one_prefix_and_refuses_the_root()
    {
        await _store.CreateAsync(Storage("plain", null));
        using var provider = new ObjectStoreProvider(_store, Secrets);
        var store = await provider.OpenAsync(new ResourceId("demo", "plain"));
        await store.PutBytesAsync("db/one/x", new byte[] { 1 });
        await store.PutBytesAsync("db/one/y/z", new byte[] { 2 });
        await store.PutBytesAsync("db/other/x", new byte[] { 3 });
        var janitor = new StorageJanitor(provider, new Akka.Hosting.ActorRegistry());

        var wiped = await janitor.WipeAsync(new ResourceId("demo", "plain"), "db/one");
        await Assert.ThrowsAsync<ArgumentException>(() => janitor.WipeAsync(new ResourceId("demo", "plain"), "/"));

        Assert.Equal(2, wiped);
        Assert.Equal(new byte[] { 3 }, await store.GetBytesAsync("db/other/x"));
    }

    [Theory]
    [InlineData("shop=shop_copy,crm", "shop>shop_copy|crm>crm")]
    [InlineData(" a = b ", "a>b")]
    public void A_database_map_reads_renames_and_plain_names(string text, string expected)
    {
        var map = RestoreSettings.ParseDatabaseMap(text);

        Assert.Equal(expected, string.Join("|", map.Select(m => $"{m.Key}>{m.Value}")));
    }

    [Theory]
    [InlineData("admin=x", "'admin' is not a database this restore may write")]
    [InlineData("a=b=c", "'a=b=c' is not 'source' or 'source=target'")]
    [InlineData("shop=sh.op", "'sh.op' is not a database this restore may write")]
    [InlineData(",", "names no database")]
    public void A_database_map_that_could_write_a_system_database_or_is_malformed_is_refused(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => RestoreSettings.ParseDatabaseMap(text));

        Assert.Contains(reason, error.Message);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private BackupStorage Storage(string name, ObjectRef? encryption) => new()
    {
        ApiVersion = BackupStorage.ApiVersionName,
        Kind = BackupStorage.KindName,
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "demo" },
        Spec = new BackupStorageSpec
        {
            Storage = new StorageBackend { Provider = StorageProvider.Local, Local = new LocalBackendSpec { MountPath = Path.Combine(_folder, name) } },
            EncryptionSecret = encryption,
        },
    };
}
