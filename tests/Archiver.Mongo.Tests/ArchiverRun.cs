using Archiver.Mongo.Archiving;
using Archiver.Storage;
using MongoDB.Driver;

namespace Archiver.Mongo.Tests;

/// <summary>An archiver running in the background for a test, stopped (as a kill: nothing is flushed) on dispose.</summary>
internal sealed class ArchiverRun : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    public ArchiverRun(IMongoClient client, TestRepository repository, Func<OplogArchiverOptions, OplogArchiverOptions>? configure = null)
    {
        var options = new OplogArchiverOptions
        {
            Component = "rs0",
            Timeline = 1,
            ChunkMaxAge = TimeSpan.FromMilliseconds(200),
            MaxAwaitTime = TimeSpan.FromMilliseconds(50),
            RetryDelay = TimeSpan.FromMilliseconds(100),
            StatusInterval = TimeSpan.FromMilliseconds(200),
        };
        Archiver = new OplogArchiver(client, repository.Store, repository.Layout, configure?.Invoke(options) ?? options);
        _run = Task.Run(() => Archiver.RunAsync(_stop.Token));
    }

    public OplogArchiver Archiver { get; }

    /// <summary>Waits until everything up to <paramref name="ts"/> is published.</summary>
    public async Task WaitArchivedAsync(OplogTimestamp ts, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!(Archiver.Status.WalSegmentEnd is { } end && end >= ts))
        {
            if (_run.IsCompleted)
            {
                await _run;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Not archived up to {ts} in time; status: {Archiver.Status}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Waits until the archiver has read everything up to <paramref name="ts"/> and dealt with it (appended, cut if due,
    /// or held back): what it has not published by then it chose not to publish, not yet failed to reach.
    /// </summary>
    public Task WaitReadAsync(OplogTimestamp ts, TimeSpan? timeout = null) => WaitUntilAsync(_ => Archiver.ReadThrough >= ts, timeout);

    public async Task WaitUntilAsync(Func<OplogArchiverStatus, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition(Archiver.Status))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met in time; status: {Archiver.Status}");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        _stop.Dispose();
    }
}
