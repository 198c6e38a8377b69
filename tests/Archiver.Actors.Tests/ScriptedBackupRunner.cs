using System.Collections.Concurrent;
using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Tests;

/// <summary>A backup runner whose attempts a test scripts: fail, wait for release, or succeed; every start recorded.</summary>
internal sealed class ScriptedBackupRunner : IFullBackupRunner
{
    private readonly ConcurrentQueue<Exception> _failures = new();
    private TaskCompletionSource? _gate;

    public ConcurrentQueue<string> Started { get; } = new();

    /// <summary>What a succeeding run reports it took as volume snapshots (none: a logical backup).</summary>
    public IReadOnlyList<Messages.Protocol.Databases.BackupVolumeSnapshot>? VolumeSnapshots { get; set; }

    public ConcurrentQueue<string> Cancelled { get; } = new();

    public void FailNext(params Exception[] errors)
    {
        foreach (var error in errors) _failures.Enqueue(error);
    }

    /// <summary>Runs wait until the returned source completes.</summary>
    public TaskCompletionSource Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The drivers this runner refuses, with the reason; none unless a test says.</summary>
    public ConcurrentDictionary<FullBackupDriver, string> Refused { get; } = new();

    public string? Refuses(FullBackupDriver driver) => Refused.GetValueOrDefault(driver);

    public async Task<FullBackupResult> RunAsync(ResourceId database, string runId, int attempt, CancellationToken cancellation)
    {
        Started.Enqueue(runId);
        try
        {
            if (_gate is { } gate) await gate.Task.WaitAsync(cancellation);
        }
        catch (OperationCanceledException)
        {
            Cancelled.Enqueue(runId);
            throw;
        }

        if (_failures.TryDequeue(out var error)) throw error;
        return new FullBackupResult($"backup-{runId}", VolumeSnapshots);
    }
}
