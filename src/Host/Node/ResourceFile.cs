using Archiver.Actors.Embedded;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Archiver.Host.Node;

/// <summary>
/// Keeps the embedded node's resources, and which databases have oplog archiving on (what a cluster keeps in its
/// pod templates), in its data folder, as an API server keeps its objects in etcd. Without it a restarted node
/// would find its remembered entities' resources gone and act as if they had been deleted, and its databases'
/// archiving stopped.
/// <list type="bullet">
/// <item><c>resources.log</c> (<see cref="ResourceChangeLog"/>): every change, written before the store or the
/// workloads acknowledge it, so an acknowledged change survives a kill of the process at any moment after.</item>
/// <item><c>resources.json</c>: the whole state at some point (a snapshot), written atomically (a temporary file,
/// then a rename) at start, once the log passes <see cref="ResourceFileOptions.CompactAtBytes"/>, and at shutdown;
/// each time the log's changes up to then are dropped.</item>
/// </list>
/// At start, before the actors: the snapshot is loaded, the log replayed over it (a torn last line, from a kill
/// mid-write, was never acknowledged and is skipped), and the two compacted into a new snapshot and an empty log.
/// A compaction while the node runs first moves the log aside (<c>resources.compacting.log</c>), so changes go on
/// in a new one, then writes the snapshot, then deletes the old log: killed at any step, the next start replays
/// the snapshot, the old log and the new one, in that order, and ends where the node was (see
/// <see cref="SavedResources"/> for why replaying changes a snapshot already has is harmless).
/// </summary>
public sealed class ResourceFile(
    InMemoryResourceStore store, InProcessWorkloads workloads, ResourceChangeLog changes, NodeSettings settings, ILogger<ResourceFile> log)
    : IHostedService
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _compacting = new();
    private Task _compactions = Task.CompletedTask;

    /// <summary>The snapshot.</summary>
    public string Path => System.IO.Path.Combine(settings.DataFolder, "resources.json");

    /// <summary>The change log.</summary>
    public string LogPath => System.IO.Path.Combine(settings.DataFolder, "resources.log");

    /// <summary>The change log a compaction is folding into the snapshot (only while it runs, or if it was killed).</summary>
    public string CompactingLogPath => System.IO.Path.Combine(settings.DataFolder, "resources.compacting.log");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var saved = File.Exists(Path) ? SavedResources.Parse(await File.ReadAllTextAsync(Path, cancellationToken), Path) : new SavedResources();
        var replayed = 0;
        foreach (var segment in new[] { CompactingLogPath, LogPath })
        {
            foreach (var line in ResourceChangeLog.Read(segment))
            {
                saved.Apply(line, segment);
                replayed++;
            }
        }

        saved.LoadInto(store, workloads);
        // Nothing writes before the log is open (it refuses): the snapshot holds everything, then the logs go.
        WriteSnapshot();
        File.Delete(CompactingLogPath);
        changes.Open(LogPath);
        log.LogInformation("loaded {Count} resources from {Path} and {Changes} changes after it", saved.Count, Path, replayed);
        _compactions = Task.Run(CompactWhenFullAsync, CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        await _compactions;
        try
        {
            // Not needed for durability (the log has every change); the next start has less to replay.
            Compact();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogWarning(e, "could not compact {Path} at shutdown; the next start replays {Log}", Path, LogPath);
        }

        changes.Close();
    }

    /// <summary>
    /// Folds the change log into the snapshot while changes go on. One at a time; any time after start.
    /// </summary>
    public void Compact()
    {
        lock (_compacting)
        {
            // One left by a compaction that failed or was killed goes first; its successor is the current log.
            if (!File.Exists(CompactingLogPath)) changes.Rotate(CompactingLogPath);
            WriteSnapshot();
            File.Delete(CompactingLogPath);
        }
    }

    private async Task CompactWhenFullAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await changes.WaitUntilFullAsync(_stop.Token);
                Compact();
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The log keeps every change meanwhile; the next time it is full, this is tried again.
                log.LogError(e, "compacting {Log} into {Path} failed", LogPath, Path);
            }
        }
    }

    /// <summary>The store's and the workloads' state, replacing resources.json at once (a kill leaves the old or the new).</summary>
    private void WriteSnapshot()
    {
        // For a machine crash the temporary file (and then the folder) would need an fsync before and after the
        // rename; a process kill cannot lose what the OS has (see ResourceChangeLog).
        var temporary = Path + ".tmp";
        File.WriteAllText(temporary, SavedResources.Snapshot(store, workloads));
        File.Move(temporary, Path, overwrite: true);
    }
}
