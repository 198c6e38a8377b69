using System.Text;
using Archiver.Actors.OpsRequests;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s;
using k8s.Models;
using Database = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Kubernetes.Tests;

/// <summary>The storage as the sidecar gets it: the resource in a variable, its secrets copied into the database's namespace.</summary>
public sealed partial class KubernetesWorkloadsTests
{
    [Fact]
    public async Task The_storages_secrets_from_other_namespaces_are_copied_owned_by_the_database_and_mounted_where_the_sidecar_reads_them()
    {
        var (workloads, db, spec) = await DatabaseAsync();
        var (storage, keys, encryption) = await SharedStorageAsync();
        spec = spec with { Storage = storage };
        var mongo = (await _store.GetAsync<Database>(db))!;

        await workloads.EnsureArchivingAsync(db, spec);
        var set = await StatefulSetAsync(db);
        var copies = await CopiesAsync(db);

        Assert.Equal(2, copies.Count);
        foreach (var (source, key) in new[] { (keys, "AWS_SECRET_ACCESS_KEY"), (encryption, "key") })
        {
            var copy = Assert.Single(copies, c => c.Metadata.Annotations["archiver.kubedb.com/secret-copy-of"] == source.ToString());
            Assert.StartsWith("mg-archiver-", copy.Metadata.Name, StringComparison.Ordinal);
            var owner = Assert.Single(copy.Metadata.OwnerReferences);
            Assert.Equal((mongo.Metadata.Uid, "MongoDB", true), (owner.Uid, owner.Kind, owner.Controller));
            Assert.Equal("archiver.kubedb.com", copy.Metadata.Labels["app.kubernetes.io/managed-by"]);
            Assert.Equal("mg", copy.Metadata.Labels["archiver.kubedb.com/secret-copy-for"]);
            Assert.Equal(Encoding.UTF8.GetBytes($"{source.Name}-value"), copy.Data[key]);
            // Only the keys the storage reads: the source's other keys stay where they are.
            Assert.DoesNotContain("unrelated", copy.Data.Keys);

            var volume = Assert.Single(set.Spec.Template.Spec.Volumes, v => v.Secret?.SecretName == copy.Metadata.Name);
            var mount = Assert.Single(Sidecar(set).VolumeMounts, m => m.Name == volume.Name);
            Assert.Equal($"/var/run/archiver/secrets/{source.Namespace}/{source.Name}", mount.MountPath);
            Assert.True(mount.ReadOnlyProperty);
            Assert.Null(Assert.Single(set.Spec.Template.Spec.Containers, c => c.Name == "mongodb").VolumeMounts);
        }

        // Again with nothing changed: neither the copies nor the StatefulSet are written.
        await workloads.EnsureArchivingAsync(db, spec);
        Assert.Equal(copies.Select(c => c.Metadata.ResourceVersion), (await CopiesAsync(db)).Select(c => c.Metadata.ResourceVersion));
        Assert.Equal(set.Metadata.ResourceVersion, (await StatefulSetAsync(db)).Metadata.ResourceVersion);

        // The copies go with the database (the garbage collector, by their owner reference).
        await _store.DeleteAsync<Database>(db);
        await WaitForAsync(async () => (await CopiesAsync(db)).Count == 0);
    }

    [Fact]
    public async Task A_changed_source_secret_updates_its_copy_and_rolls_nothing_and_stopping_removes_the_copies()
    {
        var (workloads, db, spec) = await DatabaseAsync();
        var (storage, keys, _) = await SharedStorageAsync();
        spec = spec with { Storage = storage };
        await workloads.EnsureArchivingAsync(db, spec);
        var set = await StatefulSetAsync(db);

        var source = await server.Client.CoreV1.ReadNamespacedSecretAsync(keys.Name, keys.Namespace);
        source.Data["AWS_SECRET_ACCESS_KEY"] = "rotated"u8.ToArray();
        await server.Client.CoreV1.ReplaceNamespacedSecretAsync(source, keys.Name, keys.Namespace);
        await workloads.EnsureArchivingAsync(db, spec);

        var copy = Assert.Single(await CopiesAsync(db), c => c.Metadata.Annotations["archiver.kubedb.com/secret-copy-of"] == keys.ToString());
        Assert.Equal("rotated"u8.ToArray(), copy.Data["AWS_SECRET_ACCESS_KEY"]);
        // The kubelet brings a changed secret into the mounted files; the pod template is the same.
        Assert.Equal(set.Metadata.ResourceVersion, (await StatefulSetAsync(db)).Metadata.ResourceVersion);

        await workloads.StopArchivingAsync(db);

        Assert.Empty(await CopiesAsync(db));
        Assert.DoesNotContain((await StatefulSetAsync(db)).Spec.Template.Spec.Volumes ?? [], v => v.Name.StartsWith("archiver-", StringComparison.Ordinal));
        // The sources are the storage's, never touched.
        Assert.NotNull(await server.Client.CoreV1.ReadNamespacedSecretAsync(keys.Name, keys.Namespace));
    }

    [Fact]
    public async Task Moving_to_a_storage_without_secrets_deletes_the_copies_the_old_one_needed()
    {
        var (workloads, db, spec) = await DatabaseAsync(options: Mounted);
        await workloads.EnsureArchivingAsync(db, spec);
        Assert.Single(await CopiesAsync(db));

        await _store.CreateAsync(LocalStorage(db.Namespace, "folder"));
        await workloads.EnsureArchivingAsync(db, spec with { Storage = new ResourceId(db.Namespace, "folder"), SpecHash = "h2" });

        Assert.Empty(await CopiesAsync(db));
        Assert.DoesNotContain((await StatefulSetAsync(db)).Spec.Template.Spec.Volumes ?? [], v => v.Name.StartsWith("archiver-secret-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_secret_of_the_copys_name_that_Archiver_did_not_make_is_left_alone_and_the_step_says_so()
    {
        var (workloads, db, spec) = await DatabaseAsync();
        await workloads.EnsureArchivingAsync(db, spec);
        var copy = Assert.Single(await CopiesAsync(db));
        await workloads.StopArchivingAsync(db);
        await server.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = copy.Metadata.Name },
            Data = new Dictionary<string, byte[]> { ["mine"] = "someone else's"u8.ToArray() },
        }, db.Namespace);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => workloads.EnsureArchivingAsync(db, spec));

        Assert.Contains("is not Archiver's copy", refused.Message, StringComparison.Ordinal);
        var kept = await server.Client.CoreV1.ReadNamespacedSecretAsync(copy.Metadata.Name, db.Namespace);
        Assert.Equal(["mine"], kept.Data.Keys);
        await workloads.StopArchivingAsync(db);
        Assert.NotNull(await server.Client.CoreV1.ReadNamespacedSecretAsync(copy.Metadata.Name, db.Namespace));
    }

    [Fact]
    public async Task A_missing_source_secret_fails_the_step_naming_it_and_writes_nothing()
    {
        var (workloads, db, spec) = await DatabaseAsync();
        await server.Client.CoreV1.DeleteNamespacedSecretAsync("s3-keys", db.Namespace);
        var before = await StatefulSetAsync(db);

        var missing = await Assert.ThrowsAsync<Actors.Ports.SecretNotFoundException>(() => workloads.EnsureArchivingAsync(db, spec));

        Assert.Equal($"secret {db.Namespace}/s3-keys not found", missing.Message);
        Assert.Equal(before.Metadata.ResourceVersion, (await StatefulSetAsync(db)).Metadata.ResourceVersion);
    }

    [Fact]
    public async Task A_source_secret_without_the_S3_keys_names_it_and_each_missing_key_writes_nothing_and_is_waited_out()
    {
        var (workloads, db, spec) = await DatabaseAsync();
        // KubeStash reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; this secret holds the keys under other names.
        var keys = await server.Client.CoreV1.ReadNamespacedSecretAsync("s3-keys", db.Namespace);
        keys.Data = new Dictionary<string, byte[]> { ["access-key"] = "AKID"u8.ToArray(), ["secret-key"] = "not-a-real-secret"u8.ToArray() };
        await server.Client.CoreV1.ReplaceNamespacedSecretAsync(keys, "s3-keys", db.Namespace);
        var before = await StatefulSetAsync(db);

        var missing = await Assert.ThrowsAsync<Actors.Ports.SecretNotFoundException>(() => workloads.EnsureArchivingAsync(db, spec));

        Assert.Equal($"secret {db.Namespace}/s3-keys has no key 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'", missing.Message);
        // Not a failure of the ops request: it waits, saying this, until the secret is fixed.
        Assert.Equal(StepFailureKind.Wait, StepFailures.Classify(missing));
        Assert.Equal(before.Metadata.ResourceVersion, (await StatefulSetAsync(db)).Metadata.ResourceVersion);
        Assert.Empty(await CopiesAsync(db));

        keys = await server.Client.CoreV1.ReadNamespacedSecretAsync("s3-keys", db.Namespace);
        keys.Data[BackupStorageSecrets.AccessKeyId] = "AKID"u8.ToArray();
        keys.Data[BackupStorageSecrets.SecretAccessKey] = "not-a-real-secret"u8.ToArray();
        await server.Client.CoreV1.ReplaceNamespacedSecretAsync(keys, "s3-keys", db.Namespace);
        await workloads.EnsureArchivingAsync(db, spec);

        Assert.Single(Sidecar(await StatefulSetAsync(db)).VolumeMounts, m => m.MountPath.EndsWith($"/{db.Namespace}/s3-keys", StringComparison.Ordinal));
        Assert.Equal(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"], Assert.Single(await CopiesAsync(db)).Data.Keys.Order());
    }

    [Fact]
    public async Task A_local_storage_the_node_has_not_mounted_is_refused_before_anything_is_written()
    {
        var (workloads, db, spec) = await DatabaseAsync(options: new KubernetesWorkloadsOptions { SidecarImage = "archiver:test", LocalFolderProblem = _ => "no such folder" });
        await _store.CreateAsync(LocalStorage(db.Namespace, "folder") with
        {
            Spec = LocalStorage(db.Namespace, "folder").Spec! with { EncryptionSecret = new ObjectRef { Name = "s3-keys" } },
        });
        var before = await StatefulSetAsync(db);

        var refused = await Assert.ThrowsAsync<PermanentStepException>(() => workloads.EnsureArchivingAsync(db, spec with { Storage = new ResourceId(db.Namespace, "folder") }));

        Assert.StartsWith($"BackupStorage {db.Namespace}/folder: spec.storage.local.mountPath /backups is not a folder mounted here (no such folder)", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before.Metadata.ResourceVersion, (await StatefulSetAsync(db)).Metadata.ResourceVersion);
        Assert.Empty(await CopiesAsync(db));

        // A storage that names no volume for the database pods is refused even by a node that has the folder.
        var unnamed = LocalStorage(db.Namespace, "unnamed");
        await _store.CreateAsync(unnamed with { Spec = unnamed.Spec! with { Storage = unnamed.Spec.Storage! with { Local = unnamed.Spec.Storage.Local! with { Nfs = null } } } });
        var mounted = new KubernetesWorkloads(server.Client, _store, Mounted);
        var noVolume = await Assert.ThrowsAsync<PermanentStepException>(() => mounted.EnsureArchivingAsync(db, spec with { Storage = new ResourceId(db.Namespace, "unnamed") }));
        Assert.StartsWith($"BackupStorage {db.Namespace}/unnamed: spec.storage.local names no volume (persistentVolumeClaim, hostPath or nfs)", noVolume.Message, StringComparison.Ordinal);
        Assert.Equal(before.Metadata.ResourceVersion, (await StatefulSetAsync(db)).Metadata.ResourceVersion);
    }

    [Fact]
    public void Copy_names_are_DNS_subdomains_of_at_most_253_characters_and_tell_sources_of_one_name_apart()
    {
        var longName = new ResourceId("stash", new string('k', 250));
        var a = SidecarStorage.CopyName("mg-rs", new ResourceId("stash", "s3-keys"));
        var b = SidecarStorage.CopyName("mg-rs", new ResourceId("other", "s3-keys"));
        var cut = SidecarStorage.CopyName("mg-rs", longName);

        Assert.StartsWith("mg-rs-archiver-s3-keys-", a, StringComparison.Ordinal);
        Assert.NotEqual(a, b);
        Assert.Equal(253, cut.Length);
        Assert.All(new[] { a, b, cut }, name => Assert.Null(Messages.Validation.KubernetesNames.CheckSubdomain(name)));
    }

    /// <summary>
    /// A BackupStorage in a namespace of its own (as KubeStash's are, in <c>stash</c>), with its S3 keys there and
    /// its encryption key in a third namespace; each source holds a key the storage does not read.
    /// </summary>
    private async Task<(ResourceId Storage, ResourceId Keys, ResourceId Encryption)> SharedStorageAsync()
    {
        var storageNamespace = await server.NewNamespaceAsync();
        var keyNamespace = await server.NewNamespaceAsync();
        var keys = new ResourceId(storageNamespace, "s3-keys");
        var encryption = new ResourceId(keyNamespace, "storage-key");
        foreach (var (secret, names) in new[] { (keys, new[] { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY" }), (encryption, new[] { "key" }) })
        {
            await server.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = secret.Name },
                Data = names.Append("unrelated").ToDictionary(n => n, _ => Encoding.UTF8.GetBytes($"{secret.Name}-value")),
            }, secret.Namespace);
        }

        var storage = (BackupStorage)ManifestReader.Read($$$"""
            apiVersion: storage.kubestash.com/v1alpha1
            kind: BackupStorage
            metadata: {name: shared, namespace: {{{storageNamespace}}}}
            spec:
              storage:
                provider: s3
                s3: {endpoint: "http://s3:9000", bucket: backups, prefix: team-a, region: eu-west-3, forcePathStyle: false, secretName: s3-keys}
              encryptionSecret: {name: storage-key, namespace: {{{keyNamespace}}}}
            """).Resources[0];
        await _store.CreateAsync(storage);
        return (ResourceId.Of(storage), keys, encryption);
    }

    private static BackupStorage LocalStorage(string @namespace, string name) => new()
    {
        ApiVersion = BackupStorage.ApiVersionName,
        Kind = BackupStorage.KindName,
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = @namespace },
        Spec = new BackupStorageSpec
        {
            Storage = new StorageBackend
            {
                Provider = StorageProvider.Local,
                Local = new LocalBackendSpec { MountPath = "/backups", Nfs = System.Text.Json.JsonSerializer.SerializeToElement(new { server = "nfs.local", path = "/exports" }) },
            },
        },
    };

    /// <summary>Archiver's copies in the database's namespace (a test may list secrets; the node never does).</summary>
    private async Task<IReadOnlyList<V1Secret>> CopiesAsync(ResourceId db) =>
        [.. (await server.Client.CoreV1.ListNamespacedSecretAsync(db.Namespace, labelSelector: "app.kubernetes.io/managed-by=archiver.kubedb.com")).Items];

    private static V1Container Sidecar(V1StatefulSet set) => Assert.Single(set.Spec.Template.Spec.Containers, c => c.Name == "archiver");

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("not within 10 s");
            await Task.Delay(100);
        }
    }
}
