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
public sealed class RepositoryCatalog
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

    public static async Task<RepositoryCatalog> LoadAsync(IObjectStore store, RepositoryLayout layout, CancellationToken cancellationToken = default)
    {
        var catalog = new RepositoryCatalog(layout);
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

    /// <summary>
    /// Plans a restore to <paramref name="target"/>. With no timeline given, the newest timeline that can reach the
    /// target wins; if none can, the refusal is the newest timeline's.
    /// </summary>
    public RestorePlanResult PlanRestore(RecoveryTarget target, DateTimeOffset now, uint? timeline = null)
    {
        if (timeline is { } id)
        {
            return Timeline(id).Plan(target, now);
        }

        RestorePlanResult? newest = null;
        foreach (var candidate in _timelines.Values.Reverse())
        {
            var result = candidate.Plan(target, now);
            if (result.IsPossible)
            {
                return result;
            }

            newest ??= result;
        }

        return newest ?? RestorePlanResult.Refused(new PlanRefusal(RefusalReason.NoBackup, $"'{Layout.Prefix}' holds no backups."));
    }
}
