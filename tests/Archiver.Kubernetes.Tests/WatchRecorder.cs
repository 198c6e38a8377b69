using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;

namespace Archiver.Kubernetes.Tests;

/// <summary>Records a store's watch in the background, so a test can wait for the events it expects.</summary>
internal sealed class WatchRecorder : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ResourceEvent> _events = [];
    private readonly Task _reading;

    public WatchRecorder(IResourceStore store)
    {
        var events = store.WatchAsync(_stop.Token);
        _reading = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in events)
                {
                    lock (_events) _events.Add(e);
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped by the test.
            }
        });
    }

    /// <summary>The events about objects in one namespace, as "Type name".</summary>
    public List<string> In(string @namespace)
    {
        lock (_events)
        {
            return [.. _events.Where(e => ResourceId.Of(e.Resource).Namespace == @namespace).Select(e => $"{e.Type} {e.Resource.Metadata.Name}")];
        }
    }

    public async Task<List<string>> WaitForAsync(string @namespace, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (In(@namespace).Count < count && DateTime.UtcNow < deadline) await Task.Delay(50);
        return In(@namespace);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _reading;
        _stop.Dispose();
    }
}
