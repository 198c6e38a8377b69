using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Archiver.Kubernetes;

/// <summary>
/// The sidecar's fence: whether the MongoDB its pod belongs to still exists as the incarnation it archives (the
/// same uid) and is not being deleted. A database deleted (or deleted and made again under its name) must not have
/// another chunk published after its deletion by the pods that are still shutting down: a same-name replacement
/// restored from that history would see chunks that are not its source's. The embedded node fences on the resource
/// store (InProcessOplogArchivers, PublishAllowed); a sidecar reads the MongoDB with its own service account
/// (<c>get</c> and <c>watch</c> on <c>mongodbs</c>, deploy/statefulset/rbac.yaml): one watch on its one object, as
/// <c>kubectl get --watch</c> on a name does (<c>fieldSelector=metadata.name</c>), so publishing costs no request.
/// A revocation is final. Until the first answer nothing is allowed; after it, while the API server cannot be reached,
/// the last answer stands (the watch resumes, and a deletion meanwhile shows when it does).
/// </summary>
public sealed class DatabaseFence : IAsyncDisposable
{
    public const string Group = "kubedb.com";

    public const string Version = "v1";

    // KubeDB before kubedb.com/v1 (2024) serves v1alpha2 alone; a version not served answers 404 as a missing object does.
    private static readonly string[] Versions = [Version, "v1alpha2"];

    public const string Plural = "mongodbs";

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    private readonly IKubernetes _client;
    private readonly string _namespace;
    private readonly string _name;
    private readonly string _uid;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _known = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _watching = Task.CompletedTask;
    private volatile string? _revoked;
    private string? _version;
    private string _apiVersion = Version;

    public DatabaseFence(IKubernetes client, string @namespace, string name, string uid, ILogger? log = null)
    {
        _client = client;
        _namespace = @namespace;
        _name = name;
        _uid = uid;
        _log = log ?? NullLogger.Instance;
    }

    /// <summary>Why publishing is over for good, or null while it is allowed.</summary>
    public string? Revoked => _revoked;

    /// <summary>From the pod's environment in a cluster (its namespace from the downward API); null elsewhere, or without <paramref name="database"/>.</summary>
    public static DatabaseFence? FromEnvironment(string? database, string uid, ILogger? log = null)
    {
        var ns = Environment.GetEnvironmentVariable("POD_NAMESPACE");
        if (string.IsNullOrEmpty(database) || string.IsNullOrEmpty(ns) || !KubernetesClientConfiguration.IsInCluster()) return null;
        return new DatabaseFence(new k8s.Kubernetes(KubernetesClientConfiguration.InClusterConfig()), ns, database, uid, log);
    }

    public void Start() => _watching = Task.Run(() => WatchAsync(_stop.Token));

    /// <summary>For <c>OplogArchiverOptions.PublishAllowed</c>: waits for the first answer, then says the last one.</summary>
    public async Task<bool> AllowedAsync(CancellationToken cancellation)
    {
        await _known.Task.WaitAsync(cancellation);
        return _revoked is null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watching;
        _stop.Dispose();
    }

    private async Task WatchAsync(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested && _revoked is null)
        {
            try
            {
                if (_version is null) await ReadAsync(cancellation);
                if (_revoked is null) await WatchFromAsync(cancellation);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or KubernetesException or JsonException)
            {
                _log.LogWarning("the MongoDB {Namespace}/{Name} cannot be read ({Reason}); looking again in {Delay}", _namespace, _name, e.Message, RetryDelay);
                await Task.Delay(RetryDelay, cancellation).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task ReadAsync(CancellationToken cancellation)
    {
        foreach (var version in Versions)
        {
            try
            {
                var item = await _client.CustomObjects.GetNamespacedCustomObjectAsync<JsonElement>(Group, version, _namespace, Plural, _name, cancellation);
                _apiVersion = version;
                Judge(item);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // Not there, or this version not served: the next one tells.
            }
        }

        Revoke($"MongoDB {_namespace}/{_name} no longer exists");
    }

    private async Task WatchFromAsync(CancellationToken cancellation)
    {
#pragma warning disable CS0618 // Marked obsolete in KubernetesClient 21, yet the only watch it has for custom objects (shared/PLATFORM.md).
        var stream = _client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync(
                Group, _apiVersion, _namespace, Plural, fieldSelector: $"metadata.name={_name}", resourceVersion: _version,
                timeoutSeconds: 300, watch: true, cancellationToken: cancellation)
            .WatchAsync<JsonElement, object>(onError: e => { if (e is KubernetesException { Status.Code: (int)HttpStatusCode.Gone }) _version = null; }, cancellationToken: cancellation);
#pragma warning restore CS0618
        try
        {
            await foreach (var (type, item) in stream)
            {
                if (type == WatchEventType.Deleted)
                {
                    Revoke($"MongoDB {_namespace}/{_name} was deleted");
                    return;
                }

                if (type is WatchEventType.Added or WatchEventType.Modified) Judge(item);
            }
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Gone)
        {
            // The version is too old to resume from: read the object again.
            _version = null;
        }
    }

    private void Judge(JsonElement item)
    {
        var metadata = item.GetProperty("metadata");
        _version = metadata.TryGetProperty("resourceVersion", out var version) ? version.GetString() : null;
        var uid = metadata.TryGetProperty("uid", out var u) ? u.GetString() : null;
        if (uid != _uid)
        {
            Revoke($"MongoDB {_namespace}/{_name} is another database now (uid {uid}; this sidecar archives {_uid})");
        }
        else if (metadata.TryGetProperty("deletionTimestamp", out var deleting) && deleting.ValueKind == JsonValueKind.String)
        {
            Revoke($"MongoDB {_namespace}/{_name} is being deleted (since {deleting.GetString()})");
        }

        _known.TrySetResult();
    }

    private void Revoke(string reason)
    {
        _revoked ??= reason;
        _known.TrySetResult();
    }
}
