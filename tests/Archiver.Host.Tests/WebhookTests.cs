using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Archiver.Actors.OpsRequests;
using Archiver.Actors.Ports;
using Archiver.Emulators.MongoDb;
using Archiver.Host.Admission;
using Archiver.Host.Node;
using Archiver.Messages.Configuration;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;

namespace Archiver.Host.Tests;

/// <summary>
/// The mutating admission webhook as the API server calls it: AdmissionReview v1 over TLS on its own port, with no
/// token, answering a JSON Patch that sets <c>spec.archiver</c> on a new database an archiver selects.
/// </summary>
public sealed class WebhookTests : IAsyncLifetime
{
    private const string Token = "api-token";
    private readonly string _folder = Directory.CreateTempSubdirectory("archiver-webhook-").FullName;
    private readonly TestCertificateAuthority _ca = new("webhook-ca");
    private ArchiverNodeHost _node = null!;
    private HttpClient _webhook = null!;

    private string CertificateFolder => Path.Combine(_folder, "webhook-tls");

    public async Task InitializeAsync()
    {
        WriteServerCertificate(_ca.IssueServer());
        _node = await ArchiverNodeHost.StartAsync(new NodeSettings
        {
            DataFolder = Path.Combine(_folder, "data"),
            HttpPort = 0,
            Token = Token,
            WebhookPort = 0,
            WebhookCertificateFolder = CertificateFolder,
        });
        var archiver = (MongoDBArchiver)ManifestReader.Read("""
            apiVersion: archiver.kubedb.com/v1alpha1
            kind: MongoDBArchiver
            metadata: {name: nightly, namespace: kubedb}
            spec:
              databases:
                namespaces: {from: All}
                selector: {matchLabels: {archiver: "true"}}
              fullBackup: {driver: Logical, scheduler: {schedule: "@daily"}}
              backupStorage: {ref: {name: local, namespace: stash}}
              deletionPolicy: Delete
            """).Resources[0];
        await _node.Store.CreateAsync(archiver);
        _webhook = new HttpClient(new SocketsHttpHandler
        {
            // As the API server does with the webhook configuration's caBundle: trust only that CA.
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => IssuedByOurCa(certificate) },
        }) { BaseAddress = _node.WebhookAddress };
    }

    [Fact]
    public async Task A_new_database_an_archiver_selects_gets_spec_archiver_without_a_token()
    {
        var response = await ReviewAsync("CREATE", """{"apiVersion":"kubedb.com/v1","kind":"MongoDB","metadata":{"name":"mg","labels":{"archiver":"true"}},"spec":{"version":"7.0.8"}}""");

        Assert.True(response.Allowed);
        Assert.Equal("JSONPatch", response.PatchType);
        var patch = JsonNode.Parse(Convert.FromBase64String(response.Patch!))!.AsArray();
        var add = Assert.Single(patch)!.AsObject();
        Assert.Equal("add", (string?)add["op"]);
        Assert.Equal("/spec/archiver", (string?)add["path"]);
        Assert.Equal("nightly", (string?)add["value"]!["ref"]!["name"]);
        Assert.Equal("kubedb", (string?)add["value"]!["ref"]!["namespace"]);
    }

    [Fact]
    public async Task A_database_without_a_spec_gets_one_holding_the_reference()
    {
        var response = await ReviewAsync("CREATE", """{"apiVersion":"kubedb.com/v1","kind":"MongoDB","metadata":{"name":"bare","labels":{"archiver":"true"}}}""");

        var add = Assert.Single(JsonNode.Parse(Convert.FromBase64String(response.Patch!))!.AsArray())!;
        Assert.Equal("/spec", (string?)add["path"]);
        Assert.Equal("nightly", (string?)add["value"]!["archiver"]!["ref"]!["name"]);
    }

    [Theory]
    [InlineData("CREATE", """{"apiVersion":"kubedb.com/v1","kind":"MongoDB","metadata":{"name":"other","labels":{"archiver":"false"}},"spec":{}}""")]
    [InlineData("CREATE", """{"apiVersion":"kubedb.com/v1","kind":"MongoDB","metadata":{"name":"mine","labels":{"archiver":"true"}},"spec":{"archiver":{"ref":{"name":"own"}}}}""")]
    [InlineData("UPDATE", """{"apiVersion":"kubedb.com/v1","kind":"MongoDB","metadata":{"name":"mg","labels":{"archiver":"true"}},"spec":{}}""")]
    public async Task Unselected_named_or_updated_databases_are_allowed_unchanged(string operation, string json)
    {
        var response = await ReviewAsync(operation, json);

        Assert.True(response.Allowed);
        Assert.Null(response.Patch);
        Assert.Null(response.Warnings);
    }

    [Fact]
    public async Task An_object_it_cannot_read_is_allowed_with_a_warning_and_a_non_review_is_refused()
    {
        var unreadable = await ReviewAsync("CREATE", """{"apiVersion":"kubedb.com/v1","kind":"MongoDB","metadata":{"name":"odd","labels":{"archiver":"true"}},"spec":{"archiver":"not an object"}}""");
        var garbage = await _webhook.PostAsync(MongoDBMutatingWebhook.Path, new StringContent("{\"request\":{}}", Encoding.UTF8, "application/json"));

        Assert.True(unreadable.Allowed);
        Assert.Null(unreadable.Patch);
        Assert.StartsWith("archiver: spec.archiver was not set at creation", Assert.Single(unreadable.Warnings!), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, garbage.StatusCode);
    }

    [Fact]
    public async Task A_pod_of_an_archived_database_gets_the_sidecar_and_its_volumes_as_a_json_patch()
    {
        var storage = (BackupStorage)ManifestReader.Read("""
            apiVersion: storage.kubestash.com/v1alpha1
            kind: BackupStorage
            metadata: {name: local, namespace: stash}
            spec: {storage: {provider: local, local: {mountPath: /backups, persistentVolumeClaim: {claimName: backups}}}}
            """).Resources[0];
        await _node.Store.CreateAsync(storage);
        var database = await _node.Store.CreateAsync((Messages.Resources.MongoDB)ManifestReader.Read("""
            apiVersion: kubedb.com/v1alpha2
            kind: MongoDB
            metadata: {name: mg, namespace: shop}
            spec: {version: "7.0.8", archiver: {ref: {name: nightly, namespace: kubedb}}}
            """).Resources[0]);
        var archiver = (await _node.Store.GetAsync<MongoDBArchiver>(new ResourceId("kubedb", "nightly")))!;
        try
        {
            await _node.Store.CreateAsync(ArchiverResources.BackupConfiguration(archiver, database, SpecHash.Compute(archiver.Spec!)));
        }
        catch (ResourceConflictException)
        {
            // The database's own entity configured it first (it was created naming its archiver): the same plan.
        }

        var response = await ReviewAsync(PodMutatingWebhook.Path, PodKind, "CREATE", KubeDbPod("mg", """[{"name":"datadir","emptyDir":{}}]"""));

        Assert.True(response.Allowed);
        Assert.Equal("JSONPatch", response.PatchType);
        var patch = JsonNode.Parse(Convert.FromBase64String(response.Patch!))!.AsArray();
        var container = Assert.Single(patch, op => (string?)op!["path"] == "/spec/containers/-")!["value"]!;
        Assert.Equal("archiver", (string?)container["name"]);
        Assert.Contains(database.Metadata.Uid, container["args"]!.AsArray().Select(a => (string?)a));
        Assert.Contains(patch, op => (string?)op!["path"] == "/spec/volumes/-" && (string?)op["value"]!["persistentVolumeClaim"]?["claimName"] == "backups");
        Assert.DoesNotContain(patch, op => (string?)op!["value"]?["name"] == "datadir");
    }

    [Theory]
    [InlineData("CREATE", "unknown")]
    [InlineData("UPDATE", "mg")]
    public async Task Other_pods_and_other_operations_are_allowed_unchanged(string operation, string database)
    {
        var response = await ReviewAsync(PodMutatingWebhook.Path, PodKind, operation, KubeDbPod(database, "[]"));

        Assert.True(response.Allowed);
        Assert.Null(response.Patch);
        Assert.Null(response.Warnings);
    }

    [Fact]
    public async Task A_data_claim_of_a_database_restored_from_a_volume_snapshot_is_made_from_it_and_refused_until_its_base_is_chosen()
    {
        var database = await _node.Store.CreateAsync((Messages.Resources.MongoDB)ManifestReader.Read("""
            apiVersion: kubedb.com/v1alpha2
            kind: MongoDB
            metadata: {name: mg-restored, namespace: shop}
            spec:
              version: "7.0.8"
              init:
                archiver:
                  recoveryTimeStamp: "2026-12-07T08:00:00Z"
                  repository: {name: local, namespace: stash}
                  prefix: db/MongoDB/shop/mg
            """).Resources[0]);

        // Planning: not yet.
        var early = await ReviewAsync(ClaimMutatingWebhook.Path, ClaimKind, "CREATE", KubeDbClaim("mg-restored", 0));
        Assert.False(early.Allowed);
        Assert.Contains("has not chosen its base backup yet", early.Status!.Message);

        // Planned from a volume-snapshot base: every member's claim is made from it.
        await _node.Store.ReplaceStatusAsync(database with
        {
            Status = new MongoDBStatus { Archiver = new DatabaseArchiverStatus { Phase = DatabaseArchiverPhase.Restoring, Restore = new RestoreProgress { BaseSnapshot = "b1", BaseVolumeSnapshot = "mg-full-1-1" } } },
        });
        foreach (var ordinal in new[] { 0, 2 })
        {
            var made = await ReviewAsync(ClaimMutatingWebhook.Path, ClaimKind, "CREATE", KubeDbClaim("mg-restored", ordinal));
            Assert.True(made.Allowed);
            var patch = JsonNode.Parse(Convert.FromBase64String(made.Patch!))!.AsArray();
            var source = Assert.Single(patch, op => (string?)op!["path"] == "/spec/dataSource")!["value"]!;
            Assert.Equal(("snapshot.storage.k8s.io", "VolumeSnapshot", "mg-full-1-1"), ((string?)source["apiGroup"], (string?)source["kind"], (string?)source["name"]));
        }

        // Another database's claim, another kind of claim, or a claim naming its own source: as they are.
        var others = new[]
        {
            KubeDbClaim("mg", 0),
            KubeDbClaim("mg-restored", 0).Replace("datadir-", "logs-", StringComparison.Ordinal),
            KubeDbClaim("mg-restored", 1, ""","dataSource":{"kind":"PersistentVolumeClaim","name":"x"}"""),
        };
        foreach (var other in others)
        {
            var unchanged = await ReviewAsync(ClaimMutatingWebhook.Path, ClaimKind, "CREATE", other);
            Assert.True(unchanged.Allowed);
            Assert.Null(unchanged.Patch);
        }

        // Restored: a member added now starts empty and syncs, since the snapshot (or its copy) may be gone.
        database = (await _node.Store.GetAsync<Messages.Resources.MongoDB>(ResourceId.Of(database)))!;
        await _node.Store.ReplaceStatusAsync(database with
        {
            Status = new MongoDBStatus { Archiver = new DatabaseArchiverStatus { Phase = DatabaseArchiverPhase.Restored, Restore = new RestoreProgress { BaseSnapshot = "b1", BaseVolumeSnapshot = "mg-full-1-1" } } },
        });
        var later = await ReviewAsync(ClaimMutatingWebhook.Path, ClaimKind, "CREATE", KubeDbClaim("mg-restored", 3));
        Assert.True(later.Allowed);
        Assert.Null(later.Patch);
    }

    [Fact]
    public async Task A_wrong_archiver_is_refused_with_every_mistake_and_its_field_path_and_a_right_one_is_admitted()
    {
        const string Good = """{"driver":"Logical","scheduler":{"schedule":"@daily"},"failurePolicy":"Retry","retryConfig":{"maxRetry":2,"delay":"5s"}}""";
        const string Bad = """{"driver":"Snapshots","scheduler":{"schedule":"every day"},"failurePolicy":"Retry","retryConfig":{"maxRetry":-1,"delay":"5 seconds"},"colour":"blue"}""";

        var admitted = await ReviewAsync(ArchiverValidatingWebhook.Path, ArchiverKind, "CREATE", StoredArchiver(Good));
        var refused = await ReviewAsync(ArchiverValidatingWebhook.Path, ArchiverKind, "CREATE", StoredArchiver(Bad));

        Assert.True(admitted.Allowed, admitted.Status?.Message);
        Assert.False(refused.Allowed);
        Assert.Equal((422, "Invalid"), (refused.Status!.Code, refused.Status.Reason));
        Assert.StartsWith("MongoDBArchiver nightly is invalid: ", refused.Status.Message, StringComparison.Ordinal);
        var fields = refused.Status.Details!.Causes.Select(c => c.Field).ToList();
        Assert.Equal(["spec.fullBackup.colour", "spec.fullBackup.driver", "spec.fullBackup.retryConfig.delay", "spec.fullBackup.retryConfig.maxRetry", "spec.fullBackup.scheduler.schedule"], fields.Order(StringComparer.Ordinal));
        Assert.All(refused.Status.Details.Causes, c => Assert.Contains($"{c.Field}: {c.Message}", refused.Status.Message, StringComparison.Ordinal));
        Assert.Equal(("archiver.kubedb.com", "MongoDBArchiver", "nightly"), (refused.Status.Details.Group, refused.Status.Details.Kind, refused.Status.Details.Name));
    }

    [Fact]
    public async Task An_update_is_refused_only_for_mistakes_it_brings_and_a_deletion_never()
    {
        const string StoredBad = """{"driver":"Logical","scheduler":{"schedule":"every day"}}""";
        const string NewlyBad = """{"driver":"Logical","scheduler":{"schedule":"every day"},"timeout":"an hour"}""";
        var old = StoredArchiver(StoredBad);

        // The node adds its finalizer to an archiver admitted while the webhook was down: let through, the mistake warned.
        var finalizer = await ReviewAsync(ArchiverValidatingWebhook.Path, ArchiverKind, "UPDATE", StoredArchiver(StoredBad, ""","finalizers":["archiver.kubedb.com/finalizer"]"""), old);
        var worse = await ReviewAsync(ArchiverValidatingWebhook.Path, ArchiverKind, "UPDATE", StoredArchiver(NewlyBad), old);
        var deleting = await ReviewAsync(ArchiverValidatingWebhook.Path, ArchiverKind, "UPDATE", StoredArchiver(NewlyBad, ""","deletionTimestamp":"2026-12-07T11:00:00Z","finalizers":[]"""), old);

        Assert.True(finalizer.Allowed);
        Assert.Contains(finalizer.Warnings!, w => w.Contains("spec.fullBackup.scheduler.schedule", StringComparison.Ordinal) && w.EndsWith("(already so before this change)", StringComparison.Ordinal));
        Assert.False(worse.Allowed);
        Assert.Equal(["spec.fullBackup.timeout"], worse.Status!.Details!.Causes.Select(c => c.Field));
        Assert.True(deleting.Allowed);
    }

    [Fact]
    public async Task A_pod_it_cannot_read_is_allowed_with_a_warning()
    {
        var response = await ReviewAsync(PodMutatingWebhook.Path, PodKind, "CREATE", """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"mg-0"},"spec":{"containers":"not a list"}}""");

        Assert.True(response.Allowed);
        Assert.Null(response.Patch);
        Assert.StartsWith("archiver: the archiving sidecar was not injected at admission", Assert.Single(response.Warnings!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_webhook_port_serves_nothing_else_and_the_api_port_no_webhook()
    {
        using var api = new HttpClient { BaseAddress = _node.Address };

        Assert.Equal(HttpStatusCode.NotFound, (await _webhook.GetAsync("api/v1/resources/mongodb")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _webhook.GetAsync("inspect/members")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.PostAsync(MongoDBMutatingWebhook.Path.TrimStart('/'), new StringContent("{}"))).StatusCode);
    }

    [Fact]
    public async Task A_renewed_certificate_is_served_without_a_restart()
    {
        var first = await ServedCertificateAsync();
        // As the kubelet renews a secret volume: tls.crt stays a link through ..data, and only ..data moves.
        WriteServerCertificate(_ca.IssueServer());

        var second = await ServedCertificateAsync();

        Assert.NotEqual(first, second);
        Assert.Equal(Path.Combine("..data", "tls.crt"), new FileInfo(Path.Combine(CertificateFolder, "tls.crt")).LinkTarget);
    }

    public async Task DisposeAsync()
    {
        _webhook.Dispose();
        await _node.DisposeAsync();
        _ca.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private Task<AdmissionResponse> ReviewAsync(string operation, string json) =>
        ReviewAsync(MongoDBMutatingWebhook.Path, """{"group":"kubedb.com","version":"v1","kind":"MongoDB"}""", operation, json);

    private async Task<AdmissionResponse> ReviewAsync(string path, string kind, string operation, string json, string? old = null)
    {
        var uid = Guid.NewGuid().ToString();
        var oldObject = old is null ? "" : $$""","oldObject":{{old}}""";
        var review = $$$"""
            {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"{{{uid}}}","kind":{{{kind}}},"namespace":"shop","operation":"{{{operation}}}","object":{{{json}}}{{{oldObject}}}}}
            """;
        var response = await _webhook.PostAsync(path, new StringContent(review, Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        var answer = (await response.Content.ReadFromJsonAsync<AdmissionReview>())!;
        Assert.Equal("admission.k8s.io/v1", answer.ApiVersion);
        Assert.Equal("AdmissionReview", answer.Kind);
        Assert.Equal(uid, answer.Response!.Uid);
        return answer.Response;
    }

    private const string ArchiverKind = """{"group":"archiver.kubedb.com","version":"v1alpha1","kind":"MongoDBArchiver"}""";

    /// <summary>An archiver as the API server stores it (uid, resourceVersion, managedFields, status), with <paramref name="fullBackup"/> and <paramref name="metadata"/> given.</summary>
    private static string StoredArchiver(string fullBackup, string metadata = "") =>
        ("{'apiVersion':'archiver.kubedb.com/v1alpha1','kind':'MongoDBArchiver','metadata':{'name':'nightly','namespace':'shop','uid':'0b7c0e3e-9d3c-4c8a-8d5e-1f2a3b4c5d6e','resourceVersion':'12','generation':1,'creationTimestamp':'2026-12-07T10:00:00Z',"
         + "'managedFields':[{'manager':'kubectl-client-side-apply','operation':'Update','apiVersion':'archiver.kubedb.com/v1alpha1','time':'2026-12-07T10:00:00Z','fieldsType':'FieldsV1','fieldsV1':{'f:spec':{}}}]").Replace('\'', '"')
        + metadata
        + "},\"spec\":{\"databases\":{\"namespaces\":{\"from\":\"Same\"},\"selector\":{\"matchLabels\":{\"archiver\":\"true\"}}},\"fullBackup\":"
        + fullBackup
        + ",\"backupStorage\":{\"ref\":{\"name\":\"local\",\"namespace\":\"shop\"}},\"deletionPolicy\":\"Delete\"},\"status\":{\"phase\":\"Current\"}}";

    private const string ClaimKind = """{"group":"","version":"v1","kind":"PersistentVolumeClaim"}""";

    /// <summary>A data claim as KubeDB's StatefulSet makes it: <c>datadir-{db}-{i}</c>, with the set's selector labels.</summary>
    private static string KubeDbClaim(string database, int ordinal, string spec = "") => $$$"""
        {"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"datadir-{{{database}}}-{{{ordinal}}}","labels":{"app.kubernetes.io/instance":"{{{database}}}","app.kubernetes.io/managed-by":"kubedb.com","app.kubernetes.io/name":"mongodbs.kubedb.com"}},
         "spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}{{{spec}}}}}
        """;

    private const string PodKind = """{"group":"","version":"v1","kind":"Pod"}""";

    /// <summary>A pod as KubeDB's StatefulSet makes it: its labels name the database, its namespace is the request's.</summary>
    private static string KubeDbPod(string database, string volumes) => $$$"""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{database}}}-0","labels":{"app.kubernetes.io/instance":"{{{database}}}","app.kubernetes.io/managed-by":"kubedb.com","app.kubernetes.io/name":"mongodbs.kubedb.com"}},
         "spec":{"containers":[{"name":"mongodb","image":"mongo:7.0.8"}],"volumes":{{{volumes}}}}}
        """;

    private async Task<string> ServedCertificateAsync()
    {
        string? thumbprint = null;
        using var client = new HttpClient(new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    thumbprint = certificate?.GetCertHashString();
                    return IssuedByOurCa(certificate);
                },
            },
        }) { BaseAddress = _node.WebhookAddress };
        await client.GetAsync("healthz");
        return thumbprint ?? throw new InvalidOperationException("no certificate was presented");
    }

    private bool IssuedByOurCa(X509Certificate? certificate)
    {
        if (certificate is null) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca.CaCertificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    /// <summary>
    /// Lays the secret out as the kubelet's atomic writer does: the files in a timestamped directory, <c>..data</c> a
    /// link to it, moved to each new version, and each key a link through <c>..data</c>.
    /// </summary>
    private void WriteServerCertificate(IssuedCertificate certificate)
    {
        var version = Directory.CreateDirectory(Path.Combine(CertificateFolder, $"..{DateTime.UtcNow:yyyy_MM_dd_HH_mm_ss.fffffff}"));
        File.WriteAllText(Path.Combine(version.FullName, "tls.crt"), certificate.CertificatePem);
        File.WriteAllText(Path.Combine(version.FullName, "tls.key"), certificate.PrivateKeyPem);
        // The kubelet renames a new link over ..data; a link to a directory is removed and made again here.
        var data = new DirectoryInfo(Path.Combine(CertificateFolder, "..data"));
        if (data.LinkTarget is not null) data.Delete();
        Directory.CreateSymbolicLink(data.FullName, version.Name);
        foreach (var key in new[] { "tls.crt", "tls.key" })
        {
            var link = Path.Combine(CertificateFolder, key);
            if (!File.Exists(link)) File.CreateSymbolicLink(link, Path.Combine("..data", key));
        }
    }
}
