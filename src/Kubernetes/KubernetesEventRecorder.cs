using System.Net;
using System.Threading.Channels;
using Archiver.Actors.Ports;
using Archiver.Actors.Reporting;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Archiver.Kubernetes;

/// <summary>
/// core/v1 Events, written as client-go's event recorder writes them (k8s.io/client-go tools/record/event.go,
/// <c>recordToSink</c>): a new Event is created, a repeat patches <c>count</c> and <c>lastTimestamp</c> of the one
/// written (<see cref="EventCorrelator"/>), and one gone meanwhile (expired after the API server's event TTL) is
/// created again. Writes happen on one background task, in order; a failed one is dropped after a few tries and logged,
/// never thrown at the caller. <c>kubectl describe</c> reads them back by the object's kind, namespace, name and uid.
/// </summary>
public sealed class KubernetesEventRecorder : IEventRecorder, IAsyncDisposable
{
    private const int Attempts = 3;

    private readonly IKubernetes _client;
    private readonly EventCorrelator _correlator;
    private readonly ILogger<KubernetesEventRecorder> _log;
    private readonly string _host;
    private readonly Channel<(EventDraft Draft, Correlated Correlated)> _queue =
        Channel.CreateBounded<(EventDraft, Correlated)>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly Task _writer;

    public KubernetesEventRecorder(IKubernetes client, TimeProvider clock, ILogger<KubernetesEventRecorder> log)
    {
        _client = client;
        _correlator = new EventCorrelator(clock);
        _log = log;
        // The pod's name in a StatefulSet (the downward API sets HOSTNAME to it): which node told.
        _host = Environment.GetEnvironmentVariable("HOSTNAME") ?? Environment.MachineName;
        _writer = Task.Run(WriteAllAsync);
    }

    /// <summary>The component Events are reported from, as <c>kubectl describe</c> shows it under From.</summary>
    public const string Component = "archiver";

    public void Record(EventDraft draft)
    {
        if (_correlator.Observe(draft) is { } correlated) _queue.Writer.TryWrite((draft, correlated));
    }

    public async Task<IReadOnlyList<RecordedEvent>> ListAsync(EventSubject regarding, CancellationToken cancellation = default)
    {
        var selector = $"involvedObject.kind={regarding.Kind},involvedObject.name={regarding.Id.Name},involvedObject.namespace={regarding.Id.Namespace}"
            + (regarding.Uid is { Length: > 0 } uid ? $",involvedObject.uid={uid}" : "");
        var list = await _client.CoreV1.ListNamespacedEventAsync(regarding.Id.Namespace, fieldSelector: selector, cancellationToken: cancellation);
        return [.. list.Items
            .Select(e => new RecordedEvent(
                e.Type ?? "Normal",
                e.Reason ?? "",
                e.Message ?? "",
                e.Count ?? 1,
                At(e.FirstTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp),
                At(e.LastTimestamp ?? e.EventTime ?? e.FirstTimestamp ?? e.Metadata.CreationTimestamp),
                e.Source?.Component ?? e.ReportingComponent ?? ""))
            .OrderBy(e => e.LastSeen)];
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
    }

    private async Task WriteAllAsync()
    {
        await foreach (var (draft, correlated) in _queue.Reader.ReadAllAsync())
        {
            for (var attempt = 1; attempt <= Attempts; attempt++)
            {
                try
                {
                    await WriteAsync(draft, correlated);
                    break;
                }
                catch (Exception e) when (attempt < Attempts && e is HttpOperationException { Response.StatusCode: >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests } or HttpRequestException)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt));
                }
                catch (Exception e)
                {
                    // An Event is a notice: losing one must not stop anything else, and is told once here.
                    _log.LogWarning("could not record the Event {Reason} on {Kind} {Object}: {Error}", draft.Reason, draft.Regarding.Kind, draft.Regarding.Id, e.Message);
                    break;
                }
            }
        }
    }

    private async Task WriteAsync(EventDraft draft, Correlated correlated)
    {
        var ns = draft.Regarding.Id.Namespace;
        if (!correlated.IsNew)
        {
            var patch = new V1Patch(
                new { count = correlated.Count, lastTimestamp = correlated.Last.UtcDateTime },
                V1Patch.PatchType.StrategicMergePatch);
            try
            {
                await _client.CoreV1.PatchNamespacedEventAsync(patch, correlated.Name, ns);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                // Expired: written again, under its name, as a new Event counting on from here.
            }
        }

        var created = new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = correlated.Name, NamespaceProperty = ns },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = draft.Regarding.ApiVersion,
                Kind = draft.Regarding.Kind,
                Name = draft.Regarding.Id.Name,
                NamespaceProperty = ns,
                Uid = draft.Regarding.Uid,
            },
            Type = draft.Warning ? "Warning" : "Normal",
            Reason = draft.Reason,
            Message = draft.Message,
            Count = correlated.Count,
            FirstTimestamp = correlated.First.UtcDateTime,
            LastTimestamp = correlated.Last.UtcDateTime,
            Source = new V1EventSource { Component = Component, Host = _host },
        };
        try
        {
            await _client.CoreV1.CreateNamespacedEventAsync(created, ns);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Written already (a retry whose first try got through): nothing is lost.
        }
    }

    private static DateTimeOffset At(DateTime? time) =>
        time is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : DateTimeOffset.MinValue;
}
