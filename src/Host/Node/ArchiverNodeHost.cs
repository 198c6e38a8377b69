using System.Diagnostics.Metrics;
using System.Net;
using Akka.Actor;
using Akka.Hosting;
using Archiver.Actors.Databases;
using Archiver.Actors.Embedded;
using Archiver.Actors.Hosting;
using Archiver.Actors.Metrics;
using Archiver.Actors.Ports;
using Archiver.Host.Adapters;
using Archiver.Host.Admission;
using Archiver.Host.Api;
using Archiver.Host.Metrics;
using Archiver.Kubernetes;
using Archiver.Mongo.Archiving;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Archiver.Host.Node;

/// <summary>
/// One embedded Archiver node: the actor system (<see cref="ArchiverHostingExtensions.AddArchiver"/>) with the
/// in-process resource store and workloads, the data-plane adapters behind the actors' ports, and the HTTP
/// endpoint that serves the node's API (what the command line talks to), inspection and the status page.
/// </summary>
public sealed class ArchiverNodeHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ArchiverNodeHost(WebApplication app, NodeSettings settings, Uri address, Uri? webhookAddress)
    {
        _app = app;
        Settings = settings;
        Address = address;
        WebhookAddress = webhookAddress;
    }

    public NodeSettings Settings { get; }

    /// <summary>The HTTP endpoint, e.g. <c>http://127.0.0.1:7780/</c>.</summary>
    public Uri Address { get; }

    /// <summary>The webhook's endpoint on this machine (<c>https://127.0.0.1:port/</c>) when <see cref="NodeSettings.WebhookPort"/> is set.</summary>
    public Uri? WebhookAddress { get; }

    public IServiceProvider Services => _app.Services;

    public ActorSystem System => Services.GetRequiredService<ActorSystem>();

    public IResourceStore Store => Services.GetRequiredService<IResourceStore>();

    public SecretFolder Secrets => Services.GetRequiredService<SecretFolder>();

    public static async Task<ArchiverNodeHost> StartAsync(NodeSettings settings, LogLevel logLevel = LogLevel.Warning, CancellationToken cancellation = default)
    {
        if (settings.Problem() is { } problem) throw new ArgumentException(problem);

        Directory.CreateDirectory(settings.DataFolder);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "archiver", ContentRootPath = settings.DataFolder });
        builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(logLevel);
        var webhookCertificate = settings.WebhookPort is null ? null
            : new WebhookCertificate(settings.WebhookCertificateFolder ?? throw new ArgumentException("the webhook needs its certificate folder (--webhook-cert-dir)"));
        // Read now, so a missing or bad certificate stops the node at start rather than at the first admission.
        webhookCertificate?.Current();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(ParseHost(settings.HttpHost), settings.HttpPort);
            if (settings.WebhookPort is { } webhookPort)
            {
                // On the API's address (--http-host): a pod's 0.0.0.0, or the one address a node shares a machine on.
                kestrel.Listen(ParseHost(settings.HttpHost), webhookPort, listen => listen.UseHttps(https => https.ServerCertificateSelector = (_, _) => webhookCertificate!.Current()));
            }
        });
        builder.Services.ConfigureHttpJsonOptions(json => ApiJson.Configure(json.SerializerOptions));
        ConfigureServices(builder.Services, settings, logLevel);

        var app = builder.Build();
        // Before the token check: the API server presents no bearer token, and this port serves nothing else.
        if (webhookCertificate is not null) MongoDBMutatingWebhook.Map(app);
        if (!string.IsNullOrEmpty(settings.Token)) app.Use(RequireToken(settings.Token));
        // The liveness probe: a node the split-brain resolver downed has stopped its ActorSystem and cannot rejoin as
        // it is, so it must be restarted (docs/cluster.md).
        app.MapGet("/healthz", (ActorSystem system) => system.WhenTerminated.IsCompleted
            ? Results.Text("the actor system has stopped (downed or shut down): restart this node\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("ok\n"));
        // The readiness probe (NodeReadiness): Up in the cluster, the journal answering, the resources listed.
        app.MapGet("/readyz", async (ActorSystem system, CancellationToken cancellation) => await NodeReadiness.CheckAsync(system, cancellation) is { } notReady
            ? Results.Text($"not ready: {notReady}\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("ok\n"));
        // Behind the token like the API: database names and their lag are not for everyone who reaches the port
        // (deploy/monitoring/servicemonitor.yaml presents it).
        app.MapArchiverMetrics();
        NodeInstruments.Register(app.Services.GetRequiredService<Meter>(), () => app.Services.GetService<ActorSystem>());
        NodeApi.Map(app);
        Inspection.InspectionEndpoints.Map(app);
        StatusPage.StatusPageEndpoints.Map(app);
        await app.StartAsync(cancellation);

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a.EndsWith('/') ? a : a + "/")).ToList();
        // Bound where the API is (the API server calls it through a Service); one bound on every interface is reached through loopback.
        var webhook = addresses.FirstOrDefault(a => a.Scheme == Uri.UriSchemeHttps) is { } https
            ? new Uri($"https://{(https.Host is "0.0.0.0" or "[::]" ? "127.0.0.1" : https.Host)}:{https.Port}/")
            : null;
        return new ArchiverNodeHost(app, settings, addresses.First(a => a.Scheme == Uri.UriSchemeHttp), webhook);
    }

    private static void ConfigureServices(IServiceCollection services, NodeSettings settings, LogLevel logLevel)
    {
        services.AddSingleton(settings);
        services.AddSingleton(TimeProvider.System);
        services.AddArchiverMetrics("archiver");
        services.AddSingleton(sp => new OplogArchiverMetrics(sp.GetRequiredService<Meter>()));
        if (settings.Kubernetes is { } cluster) AddClusterResources(services, cluster);
        else AddEmbeddedResources(services);
        services.AddSingleton(new SecretFolder(settings.SecretsFolder));
        // In a cluster the API server's Secrets; on the embedded node the folder laid out as Kubernetes mounts them.
        if (settings.Kubernetes is null) services.AddSingleton<ISecretSource>(sp => sp.GetRequiredService<SecretFolder>());
        else services.AddSingleton<ISecretSource, KubernetesSecrets>();
        services.AddSingleton<MongoConnections>();
        services.AddSingleton<IRestorePlanLookup, StorageIndexPlanLookup>();
        services.AddSingleton<DatabaseAdmission>();
        services.AddSingleton<ClaimAdmission>();
        // The sidecar the pods webhook injects is the one the cluster's workloads put in templates (same image and name).
        services.AddSingleton(sp => new PodAdmission(sp.GetRequiredService<IResourceStore>(), sp.GetService<KubernetesWorkloadsOptions>() ?? new KubernetesWorkloadsOptions()));
        // In a cluster a local storage is a volume the node must have mounted: a folder made on its own disk would hold
        // full backups apart from the oplog the sidecars write (docs/cluster.md).
        var localFolders = settings.Kubernetes is null ? LocalFolders.Create : LocalFolders.Mounted;
        services.AddSingleton<IObjectStoreProvider>(sp => new ObjectStoreProvider(sp.GetRequiredService<IResourceStore>(), sp.GetRequiredService<ISecretSource>(), localFolders));
        services.AddSingleton<IStorageJanitor, StorageJanitor>();
        services.AddSingleton<DatabaseRepositories>();
        // Logical dumps from the node everywhere; in a cluster, volume snapshots too, as backup Jobs.
        services.AddSingleton<LogicalBackupRunner>();
        if (settings.Kubernetes is null) services.AddSingleton<IFullBackupRunner>(sp => sp.GetRequiredService<LogicalBackupRunner>());
        else services.AddSingleton<IFullBackupRunner, ClusterFullBackupRunner>();
        services.AddSingleton<IRestoreRunner, MongoRestoreRunner>();
        services.AddSingleton(new DatabaseSettings { ObserveInterval = settings.Brisk ? TimeSpan.FromSeconds(1) : settings.StatusInterval, CompactionInterval = settings.CompactionInterval, CompactionRemoveAfter = settings.CompactionRemoveAfter });

        var akka = settings.Akka.Journal.Provider == JournalProvider.Sqlite && settings.Akka.Journal.ConnectionString == JournalOptions.Sqlite("archiver.db").ConnectionString
            ? settings.Akka with { Journal = JournalOptions.Sqlite(settings.JournalFile) }
            : settings.Akka;
        services.AddAkka(ArchiverHostingExtensions.SystemName, builder => builder
            .AddArchiver(akka)
            // Akka logs through the host's logging, at the host's level: one stream, one format.
            .ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = logLevel switch
                {
                    <= LogLevel.Debug => Akka.Event.LogLevel.DebugLevel,
                    LogLevel.Information => Akka.Event.LogLevel.InfoLevel,
                    LogLevel.Warning => Akka.Event.LogLevel.WarningLevel,
                    _ => Akka.Event.LogLevel.ErrorLevel,
                };
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            }));

        // After Akka: the archivers report to shard regions the actor system registers. In a cluster the sidecars archive.
        if (settings.Kubernetes is null)
        {
            services.AddSingleton<InProcessOplogArchivers>();
            services.AddHostedService(sp => sp.GetRequiredService<InProcessOplogArchivers>());
        }
    }

    private static void AddEmbeddedResources(IServiceCollection services)
    {
        services.AddSingleton(new ResourceFileOptions());
        // The store and the workloads write every change to it before they acknowledge it.
        services.AddSingleton<ResourceChangeLog>();
        services.AddSingleton(sp => new InMemoryResourceStore(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ResourceChangeLog>()));
        services.AddSingleton<IResourceStore>(sp => sp.GetRequiredService<InMemoryResourceStore>());
        services.AddSingleton<IEventRecorder>(sp => new InMemoryEventRecorder(sp.GetRequiredService<TimeProvider>()));
        // Before Akka: the resources are back in the store before any entity looks for them.
        services.AddSingleton<ResourceFile>();
        services.AddHostedService(sp => sp.GetRequiredService<ResourceFile>());
        services.AddSingleton(sp => new InProcessWorkloads(sp.GetRequiredService<ResourceChangeLog>()));
        services.AddSingleton<IArchivingWorkloads>(sp => sp.GetRequiredService<InProcessWorkloads>());
    }

    // The API server keeps the resources (no resource file) and the databases' StatefulSets run the archiving.
    private static void AddClusterResources(IServiceCollection services, ClusterConnection cluster)
    {
        services.AddSingleton<IKubernetes>(new k8s.Kubernetes(cluster.ClientConfiguration()));
        // A restore from a volume-snapshot base checks its snapshot before the claims are made from it.
        services.AddSingleton<Storage.VolumeSnapshots.IVolumeSnapshotter>(sp => new KubernetesVolumeSnapshotter(sp.GetRequiredService<IKubernetes>()));
        services.AddSingleton(new KubernetesStoreOptions());
        services.AddSingleton<IResourceStore, KubernetesResourceStore>();
        services.AddSingleton<IEventRecorder, KubernetesEventRecorder>();
        services.AddSingleton(new KubernetesWorkloadsOptions { SidecarImage = cluster.SidecarImage });
        services.AddSingleton<KubernetesWorkloads>();
        services.AddSingleton<IArchivingWorkloads>(sp => sp.GetRequiredService<KubernetesWorkloads>());
    }

    private static Func<HttpContext, RequestDelegate, Task> RequireToken(string token) => async (context, next) =>
    {
        if (context.Request.Path == "/healthz" || context.Request.Path == "/readyz" || context.Request.Headers.Authorization == $"Bearer {token}")
        {
            await next(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        await context.Response.WriteAsJsonAsync(new ApiError("this node requires a token: Authorization: Bearer <token> (archiver --token)"));
    };

    private static IPAddress ParseHost(string host) =>
        host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var address) ? address
            : throw new ArgumentException($"'{host}' is not an IP address to listen on");


    /// <summary>Blocks until the node is asked to stop (Ctrl+C, SIGTERM) or <paramref name="cancellation"/> fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellation) => Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(_app, cancellation);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
