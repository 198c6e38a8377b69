using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Archiver.Actors.Ports;
using Archiver.Messages.Manifests;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace Archiver.Kubernetes;

public sealed partial class KubernetesResourceStore
{
    /// <summary>
    /// One list+watch per kind, all feeding one stream: each kind's changes arrive in the API server's order (the
    /// API server orders nothing across kinds). Each watch resumes from the last resourceVersion it saw (an event or a
    /// bookmark) after a dropped connection or a server-side timeout; when that version is too old (410 Gone) it lists
    /// again and reports the difference from what it knew as Added, Modified and Deleted events, so no change is lost.
    /// The watches start when this is called, not at the first MoveNext, so a caller can subscribe and then list.
    /// </summary>
    public IAsyncEnumerable<ResourceEvent> WatchAsync(CancellationToken cancellation)
    {
        var channel = Channel.CreateUnbounded<ResourceEvent>(new UnboundedChannelOptions { SingleReader = true });
        var watches = ResourceKinds.All.Select(kind => Task.Run(() => WatchKindAsync(kind, channel.Writer, cancellation), cancellation)).ToArray();
        _ = Task.WhenAll(watches).ContinueWith(t => channel.Writer.TryComplete(t.IsFaulted ? t.Exception!.GetBaseException() : null), TaskScheduler.Default);
        return ReadAllAsync(channel.Reader, cancellation);
    }

    private static async IAsyncEnumerable<ResourceEvent> ReadAllAsync(ChannelReader<ResourceEvent> reader, [EnumeratorCancellation] CancellationToken cancellation)
    {
        await foreach (var e in reader.ReadAllAsync(cancellation)) yield return e;
    }

    private async Task WatchKindAsync(ResourceKind kind, ChannelWriter<ResourceEvent> events, CancellationToken cancellation)
    {
        var cursor = new WatchCursor();
        while (!cancellation.IsCancellationRequested)
        {
            try
            {
                if (cursor.Version is null)
                {
                    // The first list is the baseline ("from now on"); a later one replaces a lost history.
                    cursor.Version = await ListAgainAsync(kind, cursor.Known, events, reportChanges: cursor.Listed, cancellation);
                    cursor.Listed = true;
                }

                await WatchFromAsync(kind, cursor, events, cancellation);
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or KubernetesException or JsonException)
            {
                _log.LogWarning("watch of {Kind} failed ({Reason}); resuming from resourceVersion {Version}", kind.Plural, e.Message, cursor.Version ?? "(a new list)");
                await Task.Delay(options.RetryDelay, cancellation).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    // Moves the cursor along the events; leaves its version null when the history is gone and a new list is needed.
    private async Task WatchFromAsync(ResourceKind kind, WatchCursor cursor, ChannelWriter<ResourceEvent> events, CancellationToken cancellation)
    {
        var gone = false;
#pragma warning disable CS0618 // Marked obsolete in KubernetesClient 21, yet the only watch it has for custom objects (shared/PLATFORM.md).
        var stream = client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync(
                kind.Group, kind.Version, kind.Plural, allowWatchBookmarks: true, resourceVersion: cursor.Version,
                timeoutSeconds: (int)options.WatchTimeout.TotalSeconds, watch: true, cancellationToken: cancellation)
            .WatchAsync<JsonElement, object>(onError: e => gone |= e is KubernetesException { Status.Code: (int)HttpStatusCode.Gone }, cancellationToken: cancellation);
#pragma warning restore CS0618
        try
        {
            await foreach (var (type, item) in stream)
            {
                var itemVersion = item.TryGetProperty("metadata", out var metadata) && metadata.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() : null;
                if (type == WatchEventType.Bookmark)
                {
                    cursor.Version = itemVersion ?? cursor.Version;
                    continue;
                }

                if (type is not (WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted)) continue;
                var resource = kind.FromJson(item.GetRawText());
                var id = ResourceId.Of(resource);
                if (type == WatchEventType.Deleted) cursor.Known.Remove(id);
                else cursor.Known[id] = resource;
                cursor.Version = itemVersion ?? cursor.Version;
                await events.WriteAsync(new ResourceEvent(ToEventType(type), resource), cancellation);
            }
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Gone)
        {
            gone = true;
        }

        if (gone)
        {
            _log.LogInformation("watch of {Kind}: resourceVersion {Version} is gone; listing again", kind.Plural, cursor.Version);
            cursor.Version = null;
        }
    }

    private async Task<string> ListAgainAsync(ResourceKind kind, Dictionary<ResourceId, Resource> known, ChannelWriter<ResourceEvent> events, bool reportChanges, CancellationToken cancellation)
    {
        var (items, version) = await ListKindAsync(kind, @namespace: null, labelSelector: null, cancellation);
        var listed = items.ToDictionary(ResourceId.Of);
        if (reportChanges)
        {
            foreach (var (id, item) in listed)
            {
                if (!known.TryGetValue(id, out var before)) await events.WriteAsync(new ResourceEvent(ResourceEventType.Added, item), cancellation);
                else if (before.Metadata.ResourceVersion != item.Metadata.ResourceVersion) await events.WriteAsync(new ResourceEvent(ResourceEventType.Modified, item), cancellation);
            }

            foreach (var (id, item) in known)
            {
                if (!listed.ContainsKey(id)) await events.WriteAsync(new ResourceEvent(ResourceEventType.Deleted, item), cancellation);
            }
        }

        known.Clear();
        foreach (var (id, item) in listed) known[id] = item;
        return version;
    }

    private static ResourceEventType ToEventType(WatchEventType type) => type switch
    {
        WatchEventType.Added => ResourceEventType.Added,
        WatchEventType.Modified => ResourceEventType.Modified,
        _ => ResourceEventType.Deleted,
    };

    /// <summary>Where one kind's watch stands: survives the failures it resumes from.</summary>
    private sealed class WatchCursor
    {
        /// <summary>The last resourceVersion seen (event or bookmark); null: list first.</summary>
        public string? Version { get; set; }

        public bool Listed { get; set; }

        /// <summary>What it has reported, by id: the baseline a new list is compared with.</summary>
        public Dictionary<ResourceId, Resource> Known { get; } = [];
    }
}
