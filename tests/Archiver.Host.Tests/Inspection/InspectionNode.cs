using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Archiver.Host.Node;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;

namespace Archiver.Host.Tests.Inspection;

[CollectionDefinition(Name)]
public sealed class InspectionCollection : ICollectionFixture<InspectionNode>
{
    public const string Name = "one inspected node";
}

/// <summary>
/// One started node shared by the inspection tests, with live entities: an archiver that selects the databases
/// of its own namespace (<c>from: Same</c>) and configures two of them through ops requests; a database outside
/// it whose status carries recoverable windows, lag and an unhealthy condition (what the status page draws); and
/// an ops request stuck in Progressing with no entity behind it (what stuck-opsrequests.sh finds).
/// </summary>
public sealed class InspectionNode : IAsyncLifetime
{
    public const string Namespace = "shop";
    public const string ArchiverName = "nightly";
    public const string StuckOpsRequest = "ghost-configure";
    public static readonly ResourceId Legacy = new("reports", "legacy");
    public static readonly string[] Databases = ["orders", "carts"];

    /// <summary>Contains markup on purpose: the status page must show it as text.</summary>
    public const string LegacyProblem = "lag 5m exceeds <lagThreshold> 30s & rising";

    private readonly string _folder = Directory.CreateTempSubdirectory("archiver-inspect-").FullName;

    public ArchiverNodeHost Node { get; private set; } = null!;

    public string Url => Node.Address.ToString().TrimEnd('/');

    public DateTimeOffset StuckCreatedAt { get; private set; }

    /// <summary>The ops requests the archiver created for <see cref="Databases"/>, by database name.</summary>
    public IReadOnlyDictionary<string, string> ConfigureRequests { get; private set; } = new Dictionary<string, string>();

    public static string ExecutableFolder => AppContext.BaseDirectory;

    public async Task InitializeAsync()
    {
        Node = await ArchiverNodeHost.StartAsync(new NodeSettings { DataFolder = _folder, HttpPort = 0 });
        using var http = new HttpClient { BaseAddress = Node.Address };
        // The databases before the archiver: each is configured through an ops request, whose history inspection shows.
        var manifests = $$$"""
            apiVersion: storage.kubestash.com/v1alpha1
            kind: BackupStorage
            metadata: {name: local, namespace: {{{Namespace}}}}
            spec:
              storage: {provider: local, local: {mountPath: {{{Path.Combine(_folder, "backups")}}}}}
              usagePolicy: {allowedNamespaces: {from: All}}
              deletionPolicy: Delete
            """ + string.Concat(Databases.Select(db => $$$"""

            ---
            apiVersion: kubedb.com/v1alpha2
            kind: MongoDB
            metadata: {name: {{{db}}}, namespace: {{{Namespace}}}, labels: {archiver: "true"}}
            spec: {version: "6.0.12", replicas: 3}
            """)) + $$$"""

            ---
            apiVersion: archiver.kubedb.com/v1alpha1
            kind: MongoDBArchiver
            metadata: {name: {{{ArchiverName}}}, namespace: {{{Namespace}}}}
            spec:
              databases:
                namespaces: {from: Same}
                selector: {matchLabels: {archiver: "true"}}
              fullBackup:
                driver: Logical
                scheduler: {schedule: "0 3 * * *"}
              backupStorage: {ref: {name: local, namespace: {{{Namespace}}}}}
              deletionPolicy: Delete
            """;
        var response = await http.PostAsync("/api/v1/apply", new StringContent(manifests, Encoding.UTF8, new MediaTypeHeaderValue("application/yaml")));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        var now = DateTimeOffset.UtcNow;
        await Node.Store.CreateAsync(Read<Messages.Resources.MongoDB>($$$"""
            apiVersion: kubedb.com/v1alpha2
            kind: MongoDB
            metadata: {name: {{{Legacy.Name}}}, namespace: {{{Legacy.Namespace}}}}
            spec: {version: "5.0.3"}
            status:
              archiver:
                phase: Archiving
                lastFullBackup: {{{Rfc(now.AddHours(-2))}}}
                lag: 1.5s
                oplogHeadroom: 20h
                recoverableWindows:
                - {component: rs0, start: {{{Rfc(now.AddHours(-4))}}}, end: {{{Rfc(now.AddHours(-2.5))}}}}
                - {component: rs0, start: {{{Rfc(now.AddHours(-2))}}}, end: {{{Rfc(now.AddSeconds(-5))}}}}
                conditions:
                - {type: Archiving, status: "False", reason: Lagging, message: {{{JsonSerializer.Serialize(LegacyProblem)}}}}
            """));
        // Created with a phase already past Pending, so no entity ever takes it up: it stays Progressing.
        await Node.Store.CreateAsync(Read<MongoDBOpsRequest>($$$"""
            apiVersion: ops.kubedb.com/v1alpha1
            kind: MongoDBOpsRequest
            metadata: {name: {{{StuckOpsRequest}}}, namespace: {{{Namespace}}}}
            spec:
              type: Backup
              databaseRef: {name: ghost}
              archiver: {operation: ConfigureArchiver, ref: {name: {{{ArchiverName}}}}}
            status:
              phase: Progressing
              conditions:
              - {type: StartArchiving, status: "False", reason: StepRunning, message: "waiting for the oplog archiver"}
            """));
        StuckCreatedAt = DateTimeOffset.UtcNow;
        ConfigureRequests = await WaitForConfiguredAsync(TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a background flush; the temp folder is cleaned by the OS.
        }
    }

    /// <summary>Waits until the archiver's ops request for each database has succeeded, so the entities have history.</summary>
    private async Task<IReadOnlyDictionary<string, string>> WaitForConfiguredAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var requests = (await Node.Store.ListAsync<MongoDBOpsRequest>(Namespace))
                .Where(r => r.Metadata.Name != StuckOpsRequest && r.Status?.Phase == OpsRequestPhase.Successful)
                .ToDictionary(r => r.Spec!.DatabaseRef!.Name, r => r.Metadata.Name);
            var archiver = await Node.Store.GetAsync<MongoDBArchiver>(new ResourceId(Namespace, ArchiverName));
            if (Databases.All(requests.ContainsKey) && archiver?.Status?.Phase == ArchiverPhase.Current) return requests;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the archiver did not configure {string.Join(", ", Databases)} within {timeout}");
            await Task.Delay(100);
        }
    }

    private static string Rfc(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static T Read<T>(string yaml)
        where T : Resource
    {
        var result = ManifestReader.Read(yaml);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return (T)result.Resources[0];
    }
}
