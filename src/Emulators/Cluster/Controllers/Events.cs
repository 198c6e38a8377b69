using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.Controllers;

/// <summary>
/// Events about an object, as controllers record them (<c>kubectl get events</c> shows them), and the stand-in's log.
/// The same event for the same object is recorded once a minute at most, as the event recorder aggregates repeats.
/// An event about a cluster-scoped object goes to the <c>default</c> namespace, as client-go's recorder puts it;
/// <paramref name="component"/> is the recorder's <c>source.component</c>.
/// </summary>
internal sealed class Events(ApiClient api, StandInLog log, TimeProvider time, string component = "archiver-cluster-standin")
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _recent = new();

    public async Task RecordAsync(JsonObject about, string type, string reason, string message, CancellationToken stop)
    {
        var ns = J.Namespace(about);
        var home = ns.Length > 0 ? ns : "default";
        var now = time.GetUtcNow();
        var key = $"{J.Uid(about)} {reason} {message}";
        if (_recent.TryGetValue(key, out var last) && now - last < TimeSpan.FromMinutes(1)) return;
        _recent[key] = now;
        log.Write($"event {J.Text(about["kind"])} {ns}/{J.Name(about)}: {reason}: {message}");
        try
        {
            await api.CreateAsync(Kind.Event.Collection(home), new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Event",
                ["metadata"] = new JsonObject { ["generateName"] = J.Name(about) + ".", ["namespace"] = home },
                ["involvedObject"] = new JsonObject
                {
                    ["apiVersion"] = J.Text(about["apiVersion"]),
                    ["kind"] = J.Text(about["kind"]),
                    ["name"] = J.Name(about),
                    ["namespace"] = ns,
                    ["uid"] = J.Uid(about),
                },
                ["reason"] = reason,
                ["message"] = message,
                ["type"] = type,
                ["firstTimestamp"] = J.Now(time),
                ["lastTimestamp"] = J.Now(time),
                ["count"] = 1,
                ["source"] = new JsonObject { ["component"] = component },
            }, stop).ConfigureAwait(false);
        }
        catch (ApiException)
        {
            // Events are best effort, as in a cluster.
        }
    }
}
