using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Archiver.Emulators.MongoDb;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// A stand-in for a Kubernetes API server, in memory, on 127.0.0.1 over plain HTTP, for tests and demos: enough of
/// the API server for KubernetesClient and for kubectl as a user runs it (discovery, OpenAPI v3, Tables, watch,
/// client-side apply with strategic and JSON merge patches, JSON patch, finalizers, the garbage collector,
/// CustomResourceDefinitions that make their kinds servable, bearer tokens and RBAC when asked, and the mutating and
/// validating admission webhooks its stored configurations name, called over TLS as the API server calls them). It
/// refuses what the API server refuses, with the same Status objects. Not a cluster: no scheduler, kubelet or workload
/// controllers (a StatefulSet never gets pods), no server-side apply. See docs/emulators.md.
/// The members below other than <see cref="Url"/> are test hooks, not API calls.
/// </summary>
public sealed partial class KubernetesEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ObjectTable _table;
    private readonly ApiResources _resources;
    private readonly GarbageCollector _collector;
    private readonly AdmissionWebhooks _admission;
    private readonly Authentication _authentication;
    private readonly RbacAuthorizer? _rbac;
    private readonly KubernetesEmulatorOptions _options;
    private readonly ConcurrentQueue<AccessRecord> _access = new();
    private readonly TestCertificateAuthority? _authority;
    private CancellationTokenSource _dropWatches = new();
    private int _watchRequests;

    private KubernetesEmulator(WebApplication app, ObjectTable table, KubernetesEmulatorOptions options, Uri url, TestCertificateAuthority? authority)
    {
        _app = app;
        _authority = authority;
        _table = table;
        _options = options;
        _resources = new ApiResources(table);
        _collector = new GarbageCollector(table, _resources);
        _admission = new AdmissionWebhooks(table, options.ResolveService);
        _authentication = new Authentication(options.AdminToken);
        _rbac = options.Rbac ? new RbacAuthorizer(table) : null;
        Url = url;
    }

    /// <summary>The server's address, e.g. <c>http://127.0.0.1:41234/</c>: a client configuration's Host.</summary>
    public Uri Url { get; }

    /// <summary>How many watch requests have been served (each re-watch after a drop counts).</summary>
    public int WatchRequests => _watchRequests;

    /// <summary>
    /// Every resource request that was authorized, in order: who, which verb, which group, resource, subresource,
    /// namespace and name. With RBAC off every request is the admin's.
    /// </summary>
    public IReadOnlyList<AccessRecord> Authorized => [.. _access];

    public static async Task<KubernetesEmulator> StartAsync(KubernetesEmulatorOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= new KubernetesEmulatorOptions();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "kubernetes-emulator" });
        builder.Logging.ClearProviders();
        var authority = options.Tls || options.Authentication || options.Rbac ? new TestCertificateAuthority("kubernetes-emulator-ca") : null;
        var certificate = authority?.IssueServer().Certificate;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, options.Port, listen =>
        {
            if (certificate is not null) listen.UseHttps(certificate);
        }));
        var table = new ObjectTable(options.Time, options.HistoryLimit);
        var app = builder.Build();
        KubernetesEmulator? emulator = null;
        app.Run(context => emulator!.HandleAsync(context));
        await app.StartAsync(cancellation);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        emulator = new KubernetesEmulator(app, table, options, new Uri(bound.EndsWith('/') ? bound : bound + "/"), authority);
        foreach (var ns in options.Namespaces) emulator.SetNamespace(ns);
        foreach (var crd in options.CustomResourceDefinitions ?? CustomResourceDefinitions.Archiver())
        {
            emulator.Create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
        }

        return emulator;
    }

    /// <summary>
    /// A kubeconfig whose only context points at this server, for <c>--kubeconfig</c>, with the admin token (or the
    /// one given, e.g. a service account's). Without authentication the token is not checked, but KubernetesClient
    /// refuses a user without credentials.
    /// </summary>
    public string Kubeconfig(string? token = null) => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: emulator
          cluster:
            server: {Url.ToString().TrimEnd('/')}{(_authority is null ? "" : $"\n    certificate-authority-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(_authority.CaPem))}")}
        users:
        - name: emulator
          user:
            token: {token ?? _options.AdminToken}
        contexts:
        - name: emulator
          context:
            cluster: emulator
            user: emulator
        current-context: emulator
        """;

    /// <summary>
    /// A bearer token for <c>system:serviceaccount:{namespace}:{name}</c>, as the kubelet mounts a projected one into
    /// a pod running as that service account (the account itself need not exist, as with a token issued before it
    /// was deleted).
    /// </summary>
    public string IssueServiceAccountToken(string @namespace, string name) => _authentication.IssueServiceAccount(@namespace, name);

    /// <summary>A bearer token for any user and groups (<c>system:authenticated</c> is added).</summary>
    public string IssueToken(string user, params string[] groups) => _authentication.Issue(user, groups);

    /// <summary>Forgets the authorized requests recorded so far.</summary>
    public void ClearAuthorized() => _access.Clear();

    /// <summary>Creates or relabels a namespace.</summary>
    public void SetNamespace(string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        var type = BuiltInResources.All[0];
        var path = new ResourcePath("", "v1", "namespaces", "", name, false);
        var labelNode = new JsonObject();
        foreach (var (key, value) in labels ?? new Dictionary<string, string>()) labelNode[key] = value;
        lock (_table.Sync)
        {
            try
            {
                var current = _table.Get(path);
                current["metadata"]!["labels"] = labelNode;
                _table.Replace(type, path, current);
            }
            catch (ApiError e) when (e.Code == 404)
            {
                _table.Create(type, path with { Name = null }, new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Namespace",
                    ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labelNode },
                });
            }
        }
    }

    /// <summary>Reads any object by its API path (<c>/apis/apps/v1/namespaces/demo/statefulsets/mg</c>); null if absent.</summary>
    public JsonObject? Get(string apiPath)
    {
        try
        {
            var (type, path) = Resolve("GET", apiPath);
            return _table.Get(path with { Status = false, Version = type.Version });
        }
        catch (ApiError e) when (e.Code == 404)
        {
            return null;
        }
    }

    /// <summary>Test hook: the objects of a collection path (<c>/api/v1/namespaces/demo/pods</c>), as stored; none when it names no kind.</summary>
    public IReadOnlyList<JsonObject> List(string collectionPath)
    {
        try
        {
            var (type, path) = Resolve("GET", collectionPath);
            return _table.List(path with { Status = false, Version = type.Version }, _ => true);
        }
        catch (ApiError e) when (e.Code == 404)
        {
            return [];
        }
    }

    /// <summary>Creates any object under a collection path (<c>/api/v1/namespaces/demo/pods</c>), bypassing HTTP, RBAC and admission webhooks.</summary>
    public JsonObject Create(string collectionPath, JsonObject item)
    {
        var (type, path) = Resolve("POST", collectionPath);
        lock (_table.Sync)
        {
            var created = _table.Create(type, path, item);
            _collector.Collect();
            return created;
        }
    }

    /// <summary>Closes every open watch connection abruptly, as a network failure or API server restart does.</summary>
    public void DropWatches()
    {
        var dropped = Interlocked.Exchange(ref _dropWatches, new CancellationTokenSource());
        dropped.Cancel();
        dropped.Dispose();
    }

    /// <summary>Forgets the change history, so watches from an older resourceVersion get 410 Gone.</summary>
    public void CompactHistory() => _table.Compact();

    private (ResourceType Type, ResourcePath Path) Resolve(string method, string apiPath)
    {
        var request = RequestInfo.Parse(method, apiPath, watch: false);
        if (!request.IsResourceRequest) throw new ArgumentException($"{apiPath} is not an API path");
        var type = _resources.Find(request.Group, request.Version, request.Resource) ?? throw ApiError.NoRoute();
        return (type, ResourcePath.Of(type, request));
    }

    /// <summary>The CA that signed the server's certificate (PEM), with <see cref="KubernetesEmulatorOptions.Tls"/>.</summary>
    public string? CertificateAuthorityPem => _authority?.CaPem;

    public async ValueTask DisposeAsync()
    {
        DropWatches();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        _authority?.Dispose();
    }
}
