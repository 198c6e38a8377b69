using System.Text.Json.Nodes;
using Archiver.Actors.Ports;
using Archiver.Emulators.Kubernetes;
using Archiver.Messages.Protocol;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;

namespace Archiver.Kubernetes.Tests;

/// <summary>
/// The recorder writing core/v1 Events to an API server, and the real <c>kubectl describe</c> finding them on the object
/// they are about: one Event object per distinct event, a repeat counted on it.
/// </summary>
public sealed class KubernetesEventRecorderTests : IAsyncLifetime
{
    private KubernetesEmulator _api = null!;
    private Kubectl _kubectl = null!;
    private k8s.Kubernetes _client = null!;

    public async Task InitializeAsync()
    {
        _api = await KubernetesEmulator.StartAsync(new KubernetesEmulatorOptions { Namespaces = ["default", "demo"] });
        _kubectl = new Kubectl(_api);
        _client = new k8s.Kubernetes(new KubernetesClientConfiguration { Host = _api.Url.ToString() });
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        _kubectl.Dispose();
        await _api.DisposeAsync();
    }

    [Fact]
    public async Task Events_are_written_once_counted_on_repeat_and_shown_by_kubectl_describe_on_their_object()
    {
        (await _kubectl.RunAsync("apply", "-f", "deploy/examples/mongodb.yaml")).Succeeded();
        var db = JsonNode.Parse((await _kubectl.RunAsync("get", "mongodb", "-n", "demo", "-o", "json")).Succeeded().Output)!["items"]![0]!;
        var subject = EventSubject.Database(new ResourceId("demo", db["metadata"]!["name"]!.GetValue<string>()), db["metadata"]!["uid"]!.GetValue<string>());
        await using var recorder = new KubernetesEventRecorder(_client, TimeProvider.System, NullLogger<KubernetesEventRecorder>.Instance);

        var failed = EventDraft.Warn(subject, "BackupFailed", "full backup r1, attempt 1, failed: storage down; retrying at 2030-01-01T00:01:00Z");
        recorder.Record(EventDraft.Normal(subject, "BackupStarted", "full backup r1 started, on demand"));
        recorder.Record(failed);
        recorder.Record(failed);
        recorder.Record(failed);
        // Another object of the same name, an older incarnation: not this one's.
        recorder.Record(EventDraft.Normal(subject with { Uid = "00000000-0000-0000-0000-000000000000" }, "BackupStarted", "an older database's backup"));

        IReadOnlyList<RecordedEvent> events = [];
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(events.Count == 2 && events.Any(e => e.Count == 3)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"not written: {string.Join("; ", events)}");
            await Task.Delay(100);
            events = await recorder.ListAsync(subject);
        }

        Assert.Equal([("Normal", "BackupStarted", 1), ("Warning", "BackupFailed", 3)], events.Select(e => (e.Type, e.Reason, e.Count)));
        var stored = JsonNode.Parse((await _kubectl.RunAsync("get", "events", "-n", "demo", "-o", "json")).Succeeded().Output)!["items"]!.AsArray();
        Assert.Equal(3, stored.Count);

        var describe = (await _kubectl.RunAsync("describe", "mongodb", subject.Id.Name, "-n", "demo")).Succeeded().Output;
        Assert.Matches(@"Normal\s+BackupStarted\s+\S+\s+archiver\s+full backup r1 started, on demand", describe);
        Assert.Matches(@"Warning\s+BackupFailed\s+\S+ \(x3 over \S+\)\s+archiver\s+full backup r1, attempt 1, failed: storage down", describe);
        Assert.DoesNotContain("an older database's backup", describe, StringComparison.Ordinal);
    }
}
