using System.Collections.Concurrent;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;

namespace Archiver.Actors.Tests;

internal sealed class RecordingJanitor : IStorageJanitor
{
    public ConcurrentQueue<(ResourceId Storage, string Prefix)> Wiped { get; } = new();

    public Task<long> WipeAsync(ResourceId storage, string prefix, CancellationToken cancellation = default)
    {
        Wiped.Enqueue((storage, prefix));
        return Task.FromResult(1L);
    }
}
