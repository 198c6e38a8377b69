using System.Globalization;
using Archiver.Storage.Backends;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;

namespace Archiver.Storage.Catalog;

/// <summary>
/// The catalog of one database's repository, built from a listing (chunk names carry their ranges; only backup
/// manifests are read) and then kept current by adding what the archiver publishes. Not thread-safe: one owner
/// (the database's archiver) updates and queries it.
/// </summary>
public sealed partial class RepositoryCatalog
{
    private readonly SortedDictionary<uint, TimelineCatalog> _timelines = [];
    private readonly List<string> _unrecognized = [];
    private readonly List<IncompleteBackup> _incomplete = [];
    private string _lastComponent = string.Empty;

    public RepositoryCatalog(RepositoryLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Layout = layout;
    }

    public RepositoryLayout Layout { get; }

    public IReadOnlyCollection<TimelineCatalog> Timelines => _timelines.Values;

    /// <summary>Objects under the oplog folder whose names are not chunk names: reported, never silently used.</summary>
    public IReadOnlyList<string> UnrecognizedKeys => _unrecognized;

    /// <summary>Backup folders without a manifest (running or abandoned backups), found by <see cref="LoadAsync"/>.</summary>
    public IReadOnlyList<IncompleteBackup> IncompleteBackups => _incomplete;

    public static Task<RepositoryCatalog> LoadAsync(IObjectStore store, RepositoryLayout layout, CancellationToken cancellationToken = default) =>
        LoadLineageAsync(store, layout, [], cancellationToken);

    private static async Task<RepositoryCatalog> LoadLineageAsync(IObjectStore store, RepositoryLayout layout, HashSet<string> loading, CancellationToken cancellationToken)
    {
        var catalog = new RepositoryCatalog(layout);
        loading.Add(layout.Prefix);
        foreach (var record in await RepositoryHistory.ListTimelinesAsync(store, layout, cancellationToken))
        {
            catalog.AddTimelineRecord(record);

            // A database restored from another prefix's history continues it: that history is part of its windows.
            if (record.ParentPrefix is { } parent && !catalog._parents.ContainsKey(parent))
            {
                // Restores only ever branch into an empty prefix from an older one, so a loop means a hand-edited record:
                // the timeline is then restorable from its own backups only.
                if (loading.Count >= MaxLineageDepth || !loading.Add(parent))
                {
                    catalog._lineageProblems.Add($"{layout.TimelineKey(record.Id)}: its lineage through '{parent}' loops or is deeper than {MaxLineageDepth} prefixes; not followed");
                    continue;
                }

                catalog.AddParent(await LoadLineageAsync(store, new RepositoryLayout(parent), loading, cancellationToken));
                loading.Remove(parent);
            }
        }

        await foreach (var item in store.ListAllAsync(layout.OplogRoot, cancellationToken))
        {
            catalog.AddChunkObject(item.Key, item.Size);
        }

        // One listing of the backups folder: ids with a manifest are read, the others are incomplete.
        var folders = new SortedDictionary<string, List<StoredObject>>(StringComparer.Ordinal);
        await foreach (var item in store.ListAllAsync(layout.BackupsPrefix, cancellationToken))
        {
            var id = item.Key.AsSpan(layout.BackupsPrefix.Length);
            var slash = id.IndexOf('/');
            if (slash > 0)
            {
                var key = id[..slash].ToString();
                if (!folders.TryGetValue(key, out var objects))
                {
                    folders[key] = objects = [];
                }

                objects.Add(item);
            }
        }

        var reader = new FullBackupReader(store, layout);
        foreach (var (id, objects) in folders)
        {
            if (objects.Any(o => o.Key == layout.BackupManifestKey(id)))
            {
                catalog.AddBackup(await reader.ReadManifestAsync(id, cancellationToken));
            }
            else
            {
                catalog._incomplete.Add(new IncompleteBackup(id, [.. objects.Select(o => o.Key)], objects.Max(o => o.LastModified)));
            }
        }

        return catalog;
    }

    public TimelineCatalog Timeline(uint timeline)
    {
        if (!_timelines.TryGetValue(timeline, out var catalog))
        {
            catalog = new TimelineCatalog(Layout, timeline);
            _timelines.Add(timeline, catalog);
        }

        return catalog;
    }

    /// <summary>Adds a listed chunk object by its key; false (and remembered) if the key is not a chunk's.</summary>
    public bool AddChunkObject(string key, long size)
    {
        ArgumentNullException.ThrowIfNull(key);
        var rest = key.AsSpan();
        if (!rest.StartsWith(Layout.OplogRoot, StringComparison.Ordinal))
        {
            _unrecognized.Add(key);
            return false;
        }

        rest = rest[Layout.OplogRoot.Length..];
        var slash = rest.IndexOf('/');
        if (slash <= 0 || rest.Length < slash + 10 || rest[slash + 9] != '/'
            || !uint.TryParse(rest.Slice(slash + 1, 8), NumberStyles.None, CultureInfo.InvariantCulture, out var timeline)
            || !ChunkName.TryParse(rest[(slash + 10)..], size, out var range))
        {
            _unrecognized.Add(key);
            return false;
        }

        // Keys arrive grouped by component: reuse the last string instead of allocating one per key.
        var component = rest[..slash];
        if (!component.SequenceEqual(_lastComponent))
        {
            _lastComponent = component.ToString();
        }

        Timeline(timeline).AddChunk(_lastComponent, range);
        return true;
    }

    public void AddChunk(ChunkDescriptor chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        Timeline(chunk.Timeline).AddChunk(chunk.Component, chunk.Range);
    }

    public void AddBackup(BackupManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        Timeline(manifest.Timeline).AddBackup(manifest);
    }
}
