using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Archiver.Emulators.Gcs;

/// <summary>
/// A stand-in for Google Cloud Storage's JSON API, in memory, on 127.0.0.1 over plain HTTP, for tests and demos: the
/// calls Google.Cloud.Storage.V1 makes to write (resumable upload sessions, with their preconditions and CRC-32C
/// check), read (metadata, and media whole or by range), list (prefix, page tokens, page size) and delete objects,
/// plus buckets.insert/get and an OAuth token endpoint for service-account keys it issued. It answers with GCS's
/// JSON errors and refuses what GCS refuses (a precondition that does not hold, a gap in an upload, a checksum that
/// does not match, an anonymous caller). Not GCS: one bucket namespace in memory, no object versioning, ACLs, IAM,
/// composition, rewrites or XML API. Point a client at it with <c>StorageClientBuilder.BaseUri = </c><see cref="BaseUri"/>
/// and a key from <see cref="CreateServiceAccountKey"/>. The members other than the two URIs are test hooks, not API
/// calls. See docs/emulators.md.
/// </summary>
public sealed partial class GcsEmulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GcsEmulatorOptions _options;
    private readonly GcsAuthentication _authentication;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, SortedDictionary<string, GcsObject>> _buckets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GcsUploadSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<GcsOperation, ConcurrentQueue<GcsFault>> _faults = new();
    private readonly ConcurrentDictionary<GcsOperation, int> _requests = new();
    private readonly ConcurrentQueue<string> _log = new();
    private long _lastGeneration;
    private int _injected;

    private GcsEmulator(WebApplication app, GcsEmulatorOptions options, Uri url)
    {
        _app = app;
        _options = options;
        _authentication = new GcsAuthentication(options.Time);
        Url = url;
    }

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Url { get; }

    /// <summary>What a client's <c>BaseUri</c> is set to: the JSON API's root, <c>{Url}storage/v1/</c> (uploads go to <c>{Url}upload/storage/v1/</c>).</summary>
    public Uri BaseUri => new(Url, "storage/v1/");

    /// <summary>How many requests were answered with an injected fault.</summary>
    public int Injected => _injected;

    /// <summary>Upload sessions neither completed nor failed: what an interrupted upload leaves (invisible to readers).</summary>
    public int OpenUploadSessions
    {
        get
        {
            lock (_lock) return _sessions.Values.Count(s => s.Completed is null && s.Failed is null);
        }
    }

    public static async Task<GcsEmulator> StartAsync(GcsEmulatorOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= new GcsEmulatorOptions();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "gcs-stand-in" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, options.Port);
            // A resumable chunk is 8 MiB by default and up to whatever the client sets: no body limit, as GCS has none below 5 TiB.
            kestrel.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        GcsEmulator? emulator = null;
        app.Run(context => emulator!.HandleAsync(context));
        await app.StartAsync(cancellation);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        emulator = new GcsEmulator(app, options, new Uri(bound.EndsWith('/') ? bound : bound + "/"));
        foreach (var bucket in options.Buckets) emulator.CreateBucket(bucket);
        return emulator;
    }

    /// <summary>
    /// A service account key the stand-in accepts, as the JSON file Google's console downloads (its
    /// <c>token_uri</c> is this stand-in's token endpoint).
    /// </summary>
    public string CreateServiceAccountKey(string email = "archiver@stand-in.iam.gserviceaccount.com") =>
        _authentication.CreateKey(email, new Uri(Url, "token"));

    public void CreateBucket(string name)
    {
        if (GcsNames.BucketProblem(name) is { } problem) throw new ArgumentException(problem.Message, nameof(name));
        lock (_lock) _buckets.TryAdd(name, new SortedDictionary<string, GcsObject>(GcsNames.Utf8Order));
    }

    /// <summary>The live objects' names in a bucket, in listing order.</summary>
    public IReadOnlyList<string> ObjectNames(string bucket)
    {
        lock (_lock) return [.. Bucket(bucket).Keys];
    }

    /// <summary>An object's bytes, or null when there is none.</summary>
    public byte[]? ReadObject(string bucket, string name)
    {
        lock (_lock) return Bucket(bucket).TryGetValue(name, out var o) ? o.Data : null;
    }

    /// <summary>Writes an object as another client would (a new generation), without a request.</summary>
    public void WriteObject(string bucket, string name, byte[] data)
    {
        lock (_lock) Bucket(bucket)[name] = new GcsObject(bucket, name, NextGeneration(), 1, "application/octet-stream", data, _options.Time.GetUtcNow());
    }

    /// <summary>The next requests of that operation get these faults, one each, in order.</summary>
    public void Fail(GcsOperation operation, params GcsFault[] faults)
    {
        var queue = _faults.GetOrAdd(operation, _ => new ConcurrentQueue<GcsFault>());
        foreach (var fault in faults) queue.Enqueue(fault);
    }

    /// <summary>Every request that arrived, in order, as <c>METHOD target</c> (the target as sent, query included) and its <c>Range</c> header if any.</summary>
    public IReadOnlyList<string> RequestLog => [.. _log];

    /// <summary>How many requests of that operation arrived (faulted or not).</summary>
    public int Requests(GcsOperation operation) => _requests.GetValueOrDefault(operation);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private SortedDictionary<string, GcsObject> Bucket(string bucket) =>
        _buckets.TryGetValue(bucket, out var objects) ? objects : throw new ArgumentException($"no bucket {bucket}", nameof(bucket));

    // Generations are microseconds since the epoch, as GCS's are, and strictly increasing.
    private long NextGeneration() => _lastGeneration = Math.Max(_lastGeneration + 1, _options.Time.GetUtcNow().ToUnixTimeMilliseconds() * 1000);

    private async Task HandleAsync(HttpContext context)
    {
        try
        {
            await HandleRequestAsync(context);
        }
        catch (System.Text.Json.JsonException) when (!context.Response.HasStarted)
        {
            await new GcsError(400, "parseError", "Parse Error").WriteAsync(context.Response);
        }
    }

    private async Task HandleRequestAsync(HttpContext context)
    {
        // The raw target, because an object name's "/" arrives as %2F and must not split the path.
        var raw = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var path = raw.Split('?', 2)[0].Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        var (operation, handle, anonymous) = Route(context.Request.Method, path, context.Request.Query);
        _requests.AddOrUpdate(operation, 1, (_, n) => n + 1);
        _log.Enqueue(context.Request.Headers.Range.ToString() is { Length: > 0 } range ? $"{context.Request.Method} {raw} Range: {range}" : $"{context.Request.Method} {raw}");
        if (!anonymous && _options.RequireAuthentication && !_authentication.Accepts(context.Request.Headers.Authorization.ToString() is { Length: > 0 } a ? a : null))
        {
            await new GcsError(401, "required", "Anonymous caller does not have storage access to the Google Cloud Storage bucket or object.", "Authorization").WriteAsync(context.Response);
            return;
        }

        if (_faults.TryGetValue(operation, out var queue) && queue.TryDequeue(out var fault))
        {
            Interlocked.Increment(ref _injected);
            switch (fault)
            {
                case GcsFault.ServiceUnavailable:
                    await new GcsError(503, "backendError", "We encountered an internal error. Please try again.").WriteAsync(context.Response);
                    return;
                case GcsFault.TooManyRequests:
                    await new GcsError(429, "rateLimitExceeded", "The object exceeded the rate limit for object mutation operations (create, update, and delete). Please reduce your request rate.").WriteAsync(context.Response);
                    return;
                case GcsFault.InternalError:
                    await new GcsError(500, "backendError", "Backend Error").WriteAsync(context.Response);
                    return;
                case GcsFault.ResetBeforeHandling:
                    context.Abort();
                    return;
                case GcsFault.ResetAfterHandling:
                    // Applied in full, the answer kept from the client: the body goes nowhere and the connection is reset.
                    context.Response.Body = new MemoryStream();
                    await handle(context);
                    context.Abort();
                    return;
                case GcsFault.BreakBodyMidway or GcsFault.CorruptBody:
                    context.Items[MediaFaultKey] = fault;
                    break;
            }
        }

        await handle(context);
    }

    private (GcsOperation, Func<HttpContext, Task>, bool Anonymous) Route(string method, string[] path, IQueryCollection query)
    {
        switch (path)
        {
            case ["storage", "v1", "b"] when method == "POST":
                return (GcsOperation.Other, InsertBucketAsync, false);
            case ["storage", "v1", "b", var bucket] when method == "GET":
                return (GcsOperation.Other, c => GetBucketAsync(c, bucket), false);
            case ["storage", "v1", "b", var bucket, "o"] when method == "GET":
                return (GcsOperation.List, c => ListAsync(c, bucket), false);
            case ["storage", "v1", "b", var bucket, "o", var name] when method == "GET":
                return query["alt"] == "media"
                    ? (GcsOperation.GetMedia, c => GetMediaAsync(c, bucket, name), false)
                    : (GcsOperation.GetMetadata, c => GetMetadataAsync(c, bucket, name), false);
            case ["download", "storage", "v1", "b", var bucket, "o", var name] when method == "GET":
                return (GcsOperation.GetMedia, c => GetMediaAsync(c, bucket, name), false);
            case ["storage", "v1", "b", var bucket, "o", var name] when method == "DELETE":
                return (GcsOperation.Delete, c => DeleteAsync(c, bucket, name), false);
            case ["upload", "storage", "v1", "b", var bucket, "o"] when method == "POST":
                return (GcsOperation.StartUpload, c => StartUploadAsync(c, bucket), false);
            // A session URI is its own credential (https://cloud.google.com/storage/docs/resumable-uploads#session-uris).
            case ["upload", "storage", "v1", "b", _, "o"] when method == "PUT" && query.ContainsKey("upload_id"):
                return (GcsOperation.UploadChunk, c => UploadChunkAsync(c, query["upload_id"].ToString()), true);
            case ["token"] when method == "POST":
                return (GcsOperation.Other, TokenAsync, true);
            default:
                return (GcsOperation.Other, c => GcsError.NotFound($"The stand-in serves no {method} {c.Request.Path}").WriteAsync(c.Response), true);
        }
    }

    private async Task InsertBucketAsync(HttpContext context)
    {
        var name = (await ReadJsonAsync(context.Request))?["name"]?.GetValue<string>();
        if (name is null)
        {
            await new GcsError(400, "required", "Required", "resource.name").WriteAsync(context.Response);
            return;
        }

        if (GcsNames.BucketProblem(name) is { } problem)
        {
            await problem.WriteAsync(context.Response);
            return;
        }

        lock (_lock)
        {
            if (!_buckets.TryAdd(name, new SortedDictionary<string, GcsObject>(GcsNames.Utf8Order))) name = null;
        }

        if (name is null)
        {
            await new GcsError(409, "conflict", "Your previous request to create the named bucket succeeded and you already own it.").WriteAsync(context.Response);
            return;
        }

        await WriteJsonAsync(context.Response, BucketJson(name));
    }

    private async Task GetBucketAsync(HttpContext context, string bucket)
    {
        bool exists;
        lock (_lock) exists = _buckets.ContainsKey(bucket);
        await (exists ? WriteJsonAsync(context.Response, BucketJson(bucket)) : GcsError.NoSuchBucket().WriteAsync(context.Response));
    }

    private async Task TokenAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        if (_authentication.Exchange(form["grant_type"], form["assertion"]) is { } token)
        {
            await WriteJsonAsync(context.Response, token);
            return;
        }

        context.Response.StatusCode = 400;
        await WriteJsonAsync(context.Response, new JsonObject { ["error"] = "invalid_grant", ["error_description"] = "Invalid JWT Signature." }, keepStatus: true);
    }

    private static JsonObject BucketJson(string name) => new()
    {
        ["kind"] = "storage#bucket",
        ["id"] = name,
        ["name"] = name,
        ["location"] = "US",
        ["storageClass"] = "STANDARD",
        ["metageneration"] = "1",
    };

    /// <summary>A JSON request body; Google.Apis gzips it when GZip is enabled (the default).</summary>
    private static async Task<JsonNode?> ReadJsonAsync(HttpRequest request)
    {
        var body = request.Headers.ContentEncoding == "gzip" ? new GZipStream(request.Body, CompressionMode.Decompress) : request.Body;
        using var copy = new MemoryStream();
        await body.CopyToAsync(copy);
        return copy.Length == 0 ? null : JsonNode.Parse(copy.ToArray());
    }

    private static async Task WriteJsonAsync(HttpResponse response, JsonNode body, bool keepStatus = false)
    {
        if (!keepStatus) response.StatusCode = 200;
        response.ContentType = "application/json; charset=UTF-8";
        await response.WriteAsync(body.ToJsonString());
    }
}
