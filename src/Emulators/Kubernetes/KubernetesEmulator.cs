using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// A Kubernetes API server emulated in memory for tests and demos, on 127.0.0.1 over plain HTTP without
/// authentication: namespaces, any namespaced kind by group and plural (our custom resources, StatefulSets, pods)
/// with create, get, list (label selector), replace, merge patch, delete, the status subresource and watch. Not an
/// API server: no schemas, no validation, no controllers but the garbage collector (a StatefulSet never gets pods).
/// See docs/emulators.md.
/// The members below other than <see cref="Url"/> are test hooks, not API calls.
/// </summary>
public sealed class KubernetesEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ObjectTable _table;
    private readonly KubernetesEmulatorOptions _options;
    private CancellationTokenSource _dropWatches = new();

    private KubernetesEmulator(WebApplication app, ObjectTable table, KubernetesEmulatorOptions options, Uri url)
    {
        _app = app;
        _table = table;
        _options = options;
        Url = url;
    }

    /// <summary>The server's address, e.g. <c>http://127.0.0.1:41234/</c>: a client configuration's Host.</summary>
    public Uri Url { get; }

    /// <summary>How many watch requests have been served (each re-watch after a drop counts).</summary>
    public int WatchRequests { get; private set; }

    public static async Task<KubernetesEmulator> StartAsync(KubernetesEmulatorOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= new KubernetesEmulatorOptions();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "kubernetes-emulator" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, options.Port));
        var table = new ObjectTable(options.Time, options.HistoryLimit);
        var app = builder.Build();
        KubernetesEmulator? emulator = null;
        app.Run(context => emulator!.HandleAsync(context));
        await app.StartAsync(cancellation);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        emulator = new KubernetesEmulator(app, table, options, new Uri(bound.EndsWith('/') ? bound : bound + "/"));
        foreach (var ns in options.Namespaces) emulator.SetNamespace(ns);
        return emulator;
    }

    /// <summary>
    /// A kubeconfig whose only context points at this server, for <c>--kubeconfig</c>. The token is never checked;
    /// it is there because KubernetesClient refuses a user without credentials.
    /// </summary>
    public string Kubeconfig() => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: emulator
          cluster:
            server: {Url.ToString().TrimEnd('/')}
        users:
        - name: emulator
          user:
            token: emulator
        contexts:
        - name: emulator
          context:
            cluster: emulator
            user: emulator
        current-context: emulator
        """;

    /// <summary>Creates or relabels a namespace.</summary>
    public void SetNamespace(string name, IReadOnlyDictionary<string, string>? labels = null)
    {
        var path = new ResourcePath("", "v1", "namespaces", "", name, false);
        var labelNode = new JsonObject();
        foreach (var (key, value) in labels ?? new Dictionary<string, string>()) labelNode[key] = value;
        lock (_table.Sync)
        {
            try
            {
                var current = _table.Get(path);
                current["metadata"]!["labels"] = labelNode;
                _table.Replace(path, current);
            }
            catch (ApiError e) when (e.Code == 404)
            {
                _table.Create(path with { Name = null }, new JsonObject
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
            return _table.Get(ResourcePath.Parse(apiPath) ?? throw new ArgumentException($"{apiPath} is not an API path"));
        }
        catch (ApiError e) when (e.Code == 404)
        {
            return null;
        }
    }

    /// <summary>Creates any object under a collection path (<c>/api/v1/namespaces/demo/pods</c>).</summary>
    public JsonObject Create(string collectionPath, JsonObject item) =>
        _table.Create(ResourcePath.Parse(collectionPath) ?? throw new ArgumentException($"{collectionPath} is not an API path"), item);

    /// <summary>Closes every open watch connection abruptly, as a network failure or API server restart does.</summary>
    public void DropWatches()
    {
        var dropped = Interlocked.Exchange(ref _dropWatches, new CancellationTokenSource());
        dropped.Cancel();
        dropped.Dispose();
    }

    /// <summary>Forgets the change history, so watches from an older resourceVersion get 410 Gone.</summary>
    public void CompactHistory() => _table.Compact();

    private async Task HandleAsync(HttpContext context)
    {
        try
        {
            var path = ResourcePath.Parse(context.Request.Path.Value ?? "") ?? throw ApiError.NotFound($"path {context.Request.Path}");
            var query = context.Request.Query;
            switch (context.Request.Method)
            {
                case "GET" when path.Name is null && query["watch"] == "true":
                    await WatchAsync(context, path);
                    return;
                case "GET" when path.Name is null:
                    await ListAsync(context, path);
                    return;
                case "GET":
                    await WriteAsync(context, 200, _table.Get(path));
                    return;
                case "POST" when path.Name is null:
                    await WriteAsync(context, 201, _table.Create(path, await ReadBodyAsync(context)));
                    return;
                case "PUT" when path.Name is not null:
                    await WriteAsync(context, 200, _table.Replace(path, await ReadBodyAsync(context)));
                    return;
                case "PATCH" when path.Name is not null:
                    await WriteAsync(context, 200, _table.Patch(path, await ReadBodyAsync(context)));
                    return;
                case "DELETE" when path.Name is not null:
                    await WriteAsync(context, 200, _table.Delete(path));
                    return;
                default:
                    throw new ApiError(405, "MethodNotAllowed", $"{context.Request.Method} {context.Request.Path} is not supported by the emulator");
            }
        }
        catch (ApiError e)
        {
            await WriteAsync(context, e.Code, e.ToStatus());
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or System.Text.Json.JsonException && !context.Response.HasStarted)
        {
            // An emulator bug or a request it cannot read: say what it was, as the API server's 500 would.
            await WriteAsync(context, 500, new ApiError(500, "InternalError", e.ToString()).ToStatus());
        }
    }

    private async Task ListAsync(HttpContext context, ResourcePath path)
    {
        long version;
        List<JsonObject> items;
        lock (_table.Sync)
        {
            items = _table.List(path, LabelSelector.Parse(context.Request.Query["labelSelector"]));
            version = _table.Version;
        }

        await WriteAsync(context, 200, new JsonObject
        {
            ["apiVersion"] = path.ApiVersion,
            ["kind"] = "List",
            ["metadata"] = new JsonObject { ["resourceVersion"] = version.ToString(CultureInfo.InvariantCulture) },
            ["items"] = new JsonArray([.. items]),
        });
    }

    // A watch from resourceVersion N streams every matching change after N, one JSON line each; without one (or
    // "0") it first sends the current objects as ADDED. A version older than the kept history gets an ERROR event
    // carrying a 410 Status, as the API server sends it, and the stream ends.
    private async Task WatchAsync(HttpContext context, ResourcePath path)
    {
        WatchRequests++;
        var query = context.Request.Query;
        var selector = LabelSelector.Parse(query["labelSelector"]);
        var bookmarks = query["allowWatchBookmarks"] == "true";
        var timeout = int.TryParse(query["timeoutSeconds"], out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(30);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _dropWatches.Token);
        stop.CancelAfter(timeout);
        var dropped = _dropWatches.Token;
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        long since;
        List<JsonObject> initial = [];
        lock (_table.Sync)
        {
            if (long.TryParse(query["resourceVersion"], out var given) && given > 0)
            {
                since = given;
            }
            else
            {
                since = _table.Version;
                initial = _table.List(path, selector);
            }
        }

        foreach (var item in initial) WriteLine(context, "ADDED", item);

        try
        {
            await context.Response.Body.FlushAsync(stop.Token);
            while (!stop.IsCancellationRequested)
            {
                List<WatchEvent> pending;
                Task changed;
                lock (_table.Sync)
                {
                    pending = _table.EventsAfter(path, selector, since);
                    changed = _table.Changed;
                    since = _table.Version;
                }

                foreach (var e in pending) WriteLine(context, e.Type, e.Object);
                await context.Response.Body.FlushAsync(stop.Token);
                var bookmarkDue = Task.Delay(_options.BookmarkInterval, stop.Token);
                if (await Task.WhenAny(changed, bookmarkDue) == bookmarkDue && bookmarks && !stop.IsCancellationRequested)
                {
                    WriteLine(context, "BOOKMARK", new JsonObject
                    {
                        ["kind"] = "Bookmark",
                        ["apiVersion"] = path.ApiVersion,
                        ["metadata"] = new JsonObject { ["resourceVersion"] = since.ToString(CultureInfo.InvariantCulture) },
                    });
                }
            }
        }
        catch (ApiError e)
        {
            WriteLine(context, "ERROR", e.ToStatus());
            await context.Response.Body.FlushAsync(CancellationToken.None);
        }
        catch (OperationCanceledException)
        {
            // Timeout or client gone: the stream just ends.
        }

        if (dropped.IsCancellationRequested) context.Abort();
    }

    private static void WriteLine(HttpContext context, string type, JsonObject item)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = item.DeepClone() }.ToJsonString() + "\n";
        var bytes = Encoding.UTF8.GetBytes(line);
        context.Response.Body.WriteAsync(bytes).AsTask().GetAwaiter().GetResult();
    }

    private static async Task<JsonObject> ReadBodyAsync(HttpContext context) =>
        await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? throw ApiError.Invalid("the body must be a JSON object");

    private static async Task WriteAsync(HttpContext context, int code, JsonObject body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        DropWatches();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
