using System.Collections.Concurrent;
using Archiver.Actors.OpsRequests;
using Archiver.Messages.Protocol.OpsRequests;

namespace Archiver.Actors.Tests;

/// <summary>The real steps, with faults and pauses a test can script, counting every run.</summary>
internal sealed class ScriptedSteps(IOpsRequestSteps inner) : IOpsRequestSteps
{
    private readonly ConcurrentDictionary<OpsRequestStep, ConcurrentQueue<Exception>> _faults = new();
    private readonly ConcurrentDictionary<OpsRequestStep, TaskCompletionSource> _gates = new();
    private readonly ConcurrentDictionary<OpsRequestStep, TaskCompletionSource> _gatesAfter = new();
    private readonly ConcurrentDictionary<OpsRequestStep, int> _runs = new();

    public ConcurrentDictionary<OpsRequestStep, TaskCompletionSource> Entered { get; } = new();

    public void FailNext(OpsRequestStep step, params Exception[] errors)
    {
        var queue = _faults.GetOrAdd(step, _ => new ConcurrentQueue<Exception>());
        foreach (var error in errors) queue.Enqueue(error);
    }

    /// <summary>The faults still scripted for the step are dropped: the cause was fixed.</summary>
    public void Fix(OpsRequestStep step) => _faults.TryRemove(step, out _);

    /// <summary>The step waits, once entered, until the returned source is completed (or forever).</summary>
    public TaskCompletionSource Hold(OpsRequestStep step) => _gates.GetOrAdd(step, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>The step does its work, then waits before reporting it: a crash there leaves the effect unrecorded.</summary>
    public TaskCompletionSource HoldAfter(OpsRequestStep step) => _gatesAfter.GetOrAdd(step, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public ConcurrentDictionary<OpsRequestStep, TaskCompletionSource> Done { get; } = new();

    public int Runs(OpsRequestStep step) => _runs.GetValueOrDefault(step);

    public async Task<string> RunAsync(OpsRequestStep step, OpsRequestState request, CancellationToken cancellation)
    {
        _runs.AddOrUpdate(step, 1, (_, n) => n + 1);
        Entered.GetOrAdd(step, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        if (_gates.TryRemove(step, out var gate)) await gate.Task.WaitAsync(cancellation);
        if (_faults.TryGetValue(step, out var queue) && queue.TryDequeue(out var error)) throw error;
        var message = await inner.RunAsync(step, request, cancellation);
        Done.GetOrAdd(step, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        if (_gatesAfter.TryRemove(step, out var after)) await after.Task.WaitAsync(cancellation);
        return message;
    }
}
