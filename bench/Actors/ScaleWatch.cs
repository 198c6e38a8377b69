using System.Diagnostics;
using Archiver.Actors.Ports;
using Archiver.Actors.OpsRequests;
using Archiver.Messages.Resources;

namespace Archiver.Bench.Actors;

/// <summary>
/// What the scale figures wait for, heard from the store's watch rather than by listing it (a poll listing
/// 10,000 databases twice a second would take a good part of a core from the node being measured): how many of
/// each archiver's databases carry a given spec-hash, and when the ops requests of one awaited spec change appear.
/// </summary>
internal sealed class ScaleWatch : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (string Archiver, string? Hash)> _databases = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Archiver, string? Hash), int> _counts = [];
    private readonly Dictionary<(string Issuer, string Hash), HashSet<string>> _finished = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _pump;
    private Awaited? _awaited;

    private ScaleWatch(IResourceStore store)
    {
        var events = store.WatchAsync(_stopping.Token).GetAsyncEnumerator(_stopping.Token);
        // The first MoveNext opens the watch: nothing created after the constructor returns is missed.
        var first = events.MoveNextAsync();
        _pump = Task.Run(async () =>
        {
            try
            {
                for (var next = first; await next; next = events.MoveNextAsync()) On(events.Current);
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    public static ScaleWatch Start(IResourceStore store) => new(store);

    /// <summary>How many databases labelled <c>archiver: {archiver}</c> carry the spec-hash.</summary>
    public int Count(string archiver, string hash)
    {
        lock (_gate)
        {
            return _counts.TryGetValue((archiver, hash), out var count) ? count : 0;
        }
    }

    /// <summary>How many ops requests the archiver issued for the spec-hash have ended (Successful or Failed).</summary>
    public int Finished(string archiver, string hash)
    {
        lock (_gate)
        {
            return _finished.TryGetValue(($"bench.{archiver}", hash), out var names) ? names.Count : 0;
        }
    }

    /// <summary>
    /// Waits for <paramref name="expected"/> ops requests issued by the archiver (label <c>bench.{archiver}</c>) for
    /// the spec-hash, timed from <paramref name="from"/>; returns the time until the last one appeared and each one's.
    /// </summary>
    public Task<(TimeSpan Last, IReadOnlyList<TimeSpan> Each)> ExpectRequests(string archiver, string hash, int expected, long from)
    {
        var awaited = new Awaited($"bench.{archiver}", hash, expected, from);
        lock (_gate)
        {
            _awaited = awaited;
        }

        return awaited.Done.Task;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _pump;
        _stopping.Dispose();
    }

    private void On(ResourceEvent e)
    {
        var at = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            switch (e.Resource)
            {
                case MongoDB db when db.Metadata.Labels?.TryGetValue("archiver", out var archiver) == true:
                    var hash = e.Type == ResourceEventType.Deleted ? null : db.Metadata.Annotations?.TryGetValue(ApiGroups.SpecHashAnnotation, out var h) == true ? h : null;
                    if (_databases.TryGetValue(db.Metadata.Name!, out var before)) _counts[before] = _counts.GetValueOrDefault(before) - 1;
                    _databases[db.Metadata.Name!] = (archiver, hash);
                    _counts[(archiver, hash)] = _counts.GetValueOrDefault((archiver, hash)) + 1;
                    break;
                case MongoDBOpsRequest ended when e.Type != ResourceEventType.Deleted && ended.Status?.Phase is OpsRequestPhase.Successful or OpsRequestPhase.Failed
                    && ended.Metadata.Labels?.TryGetValue(ArchiverResources.ArchiverLabel, out var by) == true
                    && ended.Metadata.Annotations?.TryGetValue(ApiGroups.SpecHashAnnotation, out var endedFor) == true:
                    if (!_finished.TryGetValue((by, endedFor), out var names)) _finished[(by, endedFor)] = names = new HashSet<string>(StringComparer.Ordinal);
                    names.Add(ended.Metadata.Name!);
                    break;
                case MongoDBOpsRequest request when e.Type == ResourceEventType.Added && _awaited is { } awaited
                    && request.Metadata.Labels?.TryGetValue(ArchiverResources.ArchiverLabel, out var issuer) == true && issuer == awaited.Issuer
                    && request.Metadata.Annotations?.TryGetValue(ApiGroups.SpecHashAnnotation, out var issuedFor) == true && issuedFor == awaited.Hash:
                    awaited.Each.Add(Stopwatch.GetElapsedTime(awaited.From, at));
                    if (awaited.Each.Count == awaited.Expected)
                    {
                        _awaited = null;
                        awaited.Done.TrySetResult((awaited.Each[^1], awaited.Each));
                    }

                    break;
            }
        }
    }

    private sealed record Awaited(string Issuer, string Hash, int Expected, long From)
    {
        public List<TimeSpan> Each { get; } = [];

        public TaskCompletionSource<(TimeSpan Last, IReadOnlyList<TimeSpan> Each)> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
