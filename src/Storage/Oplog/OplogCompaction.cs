using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;

namespace Archiver.Storage.Oplog;

/// <summary>
/// One compaction run over a database's repository (its own timelines; the histories it was restored from are their
/// owners'): merge every component's small chunks older than <see cref="CompactionSettings.OlderThan"/>, then remove
/// the chunks a merged object holds once it has been in the storage <see cref="CompactionSettings.RemoveAfter"/>
/// and no restore holds a lease on the history. Each step is safe to stop anywhere: a merge only adds an object,
/// and a removal only takes one that a published object holds entirely, so a run killed halfway loses nothing and
/// the next run, which starts from a fresh listing, finishes it. Run from one place per repository at a time (the
/// storage's index, for the database's entity).
/// </summary>
public static class OplogCompaction
{
    public static async Task<CompactionReport> RunAsync(
        IObjectStore store, RepositoryLayout layout, CompactionSettings settings, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(settings);
        var catalog = new RepositoryCatalog(layout);
        var modified = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await foreach (var item in store.ListAllAsync(layout.OplogRoot, cancellationToken))
        {
            if (catalog.AddChunkObject(item.Key, item.Size))
            {
                modified[item.Key] = item.LastModified;
            }
        }

        var written = new List<ChunkDescriptor>();
        var merged = 0;
        var until = (now - settings.OlderThan).ToUnixTimeMilliseconds();
        foreach (var timeline in catalog.Timelines)
        {
            foreach (var history in timeline.Components.Values)
            {
                var before = history.AllChunks().ToArray();
                foreach (var descriptor in await ChunkCompactor.MergeAsync(store, layout, history, until, settings.Limits, cancellationToken))
                {
                    written.Add(descriptor);
                    merged += before.Count(c => descriptor.Range.First <= c.First && c.Last <= descriptor.Range.Last);
                    modified[descriptor.Key] = now;
                    history.Add(descriptor.Range);
                }
            }
        }

        var leases = await RestoreLease.LiveAsync(store, layout, now, cancellationToken);
        var removed = new List<string>();
        var waiting = 0;
        foreach (var timeline in catalog.Timelines)
        {
            foreach (var history in timeline.Components.Values)
            {
                foreach (var (chunk, heldBy) in ChunkCompactor.Superseded(history))
                {
                    var holder = layout.ChunkKey(history.Component, history.Timeline, heldBy);
                    if (leases.Count > 0 || !modified.TryGetValue(holder, out var published) || now - published < settings.RemoveAfter)
                    {
                        waiting++;
                        continue;
                    }

                    var key = layout.ChunkKey(history.Component, history.Timeline, chunk);
                    await store.DeleteAsync(key, cancellationToken);
                    removed.Add(key);
                }
            }
        }

        return new CompactionReport(written, merged, removed, waiting, leases.Count);
    }
}
