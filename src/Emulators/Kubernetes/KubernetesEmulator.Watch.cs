using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// Watches: one JSON line per event (<c>{"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}</c>). From
/// resourceVersion N every matching change after it; without one (or "0") the current objects as ADDED first. A
/// version older than the kept history gets, as the API server sends it, HTTP 200 and one ERROR event carrying a 410
/// Status, then the stream ends. A client that asks for a Table (kubectl get -w) gets each event's object as a
/// one-row Table.
/// </summary>
public sealed partial class KubernetesEmulator
{
    private async Task WatchAsync(HttpContext context, ResourceType type, ResourcePath path)
    {
        Interlocked.Increment(ref _watchRequests);
        var query = context.Request.Query;
        var filter = Filter(context, type);
        if (path.Name is { } name)
        {
            // The old form /namespaces/{ns}/{plural}/{name}?watch=true watches one object.
            var all = filter;
            filter = o => ObjectTable.Text(o["metadata"]?["name"]) == name && all(o);
            path = path with { Name = null };
        }

        var table = Tables.Wanted(context.Request.Headers.Accept);
        var includeObject = query["includeObject"].ToString();
        var bookmarks = IsTrue(query["allowWatchBookmarks"]);
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
                initial = _table.List(path, filter);
            }
        }

        JsonObject Shown(JsonObject item) => table
            ? Tables.Of(type, [item], ObjectTable.Text(item["metadata"]?["resourceVersion"]), includeObject, _options.Time.GetUtcNow())
            : item;

        foreach (var item in initial) WriteLine(context, "ADDED", Shown(item));

        try
        {
            await context.Response.Body.FlushAsync(stop.Token);
            while (!stop.IsCancellationRequested)
            {
                List<WatchEvent> pending;
                Task changed;
                lock (_table.Sync)
                {
                    pending = _table.EventsAfter(path, filter, since);
                    changed = _table.Changed;
                    since = _table.Version;
                }

                foreach (var e in pending) WriteLine(context, e.Type, Shown(e.Object));
                await context.Response.Body.FlushAsync(stop.Token);
                var bookmarkDue = Task.Delay(_options.BookmarkInterval, stop.Token);
                if (await Task.WhenAny(changed, bookmarkDue) == bookmarkDue && bookmarks && !stop.IsCancellationRequested)
                {
                    WriteLine(context, "BOOKMARK", new JsonObject
                    {
                        ["kind"] = type.Kind,
                        ["apiVersion"] = type.ApiVersion,
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
}
