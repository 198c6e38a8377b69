using System.Threading.Channels;

namespace Archiver.Emulators.Cluster.Api;

/// <summary>
/// A controller's work loop: it reconciles whenever something it watches changed (<see cref="Trigger"/>, coalesced)
/// and at least every <c>resync</c>, as client-go's work queues and resync periods make controllers do. A failed
/// pass is logged and the next one tries again (controllers are level-triggered: each pass reads the whole state).
/// </summary>
internal sealed class ReconcileLoop(string name, Func<CancellationToken, Task> reconcile, TimeSpan resync, StandInLog log)
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Trigger() => _wake.Writer.TryWrite(true);

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await reconcile(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                // A refusal (a conflict with another writer), a dropped connection or a bug: said, and tried again.
                log.Write($"{name}: {(e is ApiException ? e.Message : e.ToString())}");
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
            wait.CancelAfter(resync);
            try
            {
                await _wake.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                // The resync period passed without a change: reconcile anyway.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
