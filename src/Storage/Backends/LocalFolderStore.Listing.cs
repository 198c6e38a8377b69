using System.Collections.Concurrent;

namespace Archiver.Storage.Backends;

public sealed partial class LocalFolderStore
{
    private static readonly TimeSpan SnapshotLifetime = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<string, ListingSnapshot> _snapshots = new(StringComparer.Ordinal);

    /// <summary>
    /// A folder cannot be enumerated in order or from a given name, so the first page sorts one snapshot of the
    /// keys and later pages are served from it (the token names the snapshot and the last key returned). Listing
    /// a year of chunks thus walks the folder once, not once per page. Like an S3 listing, objects written after
    /// the listing started may or may not appear; objects deleted since are left out.
    /// </summary>
    public Task<ObjectListing> ListAsync(
        string prefix,
        string? continuationToken = null,
        int pageSize = 1000,
        CancellationToken cancellationToken = default)
    {
        ObjectKey.ValidatePrefix(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        EvictOldSnapshots();

        string? after = null;
        string[]? keys = null;
        string? snapshotId = null;
        if (continuationToken is not null)
        {
            var bar = continuationToken.IndexOf('|', StringComparison.Ordinal);
            if (bar < 0)
            {
                throw new ArgumentException("Not a continuation token of this store.", nameof(continuationToken));
            }

            snapshotId = continuationToken[..bar];
            after = continuationToken[(bar + 1)..];
            if (_snapshots.TryGetValue(snapshotId, out var snapshot) && snapshot.Prefix == prefix)
            {
                keys = snapshot.Keys;
            }
        }

        keys ??= SortedKeys(prefix);
        var start = after is null ? 0 : FirstIndexAfter(keys, after);
        var page = new List<StoredObject>(Math.Min(pageSize, keys.Length - start));
        var end = Math.Min(keys.Length, start + pageSize);
        for (var i = start; i < end; i++)
        {
            var info = new FileInfo(PathOf(keys[i]));
            if (info.Exists)
            {
                page.Add(new StoredObject(keys[i], info.Length, info.LastWriteTimeUtc));
            }
        }

        if (end >= keys.Length)
        {
            if (snapshotId is not null)
            {
                _snapshots.TryRemove(snapshotId, out _);
            }

            return Task.FromResult(new ObjectListing(page, null));
        }

        snapshotId ??= Guid.NewGuid().ToString("N");
        _snapshots.TryAdd(snapshotId, new ListingSnapshot(prefix, keys, DateTime.UtcNow));
        return Task.FromResult(new ObjectListing(page, $"{snapshotId}|{keys[end - 1]}"));
    }

    private static int FirstIndexAfter(string[] keys, string after)
    {
        var index = Array.BinarySearch(keys, after, StringComparer.Ordinal);
        return index >= 0 ? index + 1 : ~index;
    }

    private string[] SortedKeys(string prefix)
    {
        // Only the folder the prefix points into needs walking; the rest of the tree cannot match.
        var slash = prefix.LastIndexOf('/');
        var start = slash < 0 ? _root : Path.Combine(_root, prefix[..slash].Replace('/', Path.DirectorySeparatorChar));
        if (!Directory.Exists(start))
        {
            return [];
        }

        var keys = new List<string>();
        foreach (var file in Directory.EnumerateFiles(start, "*", SearchOption.AllDirectories))
        {
            var key = Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(prefix, StringComparison.Ordinal) && !key.StartsWith(IncomingFolder + "/", StringComparison.Ordinal))
            {
                keys.Add(key);
            }
        }

        keys.Sort(StringComparer.Ordinal);
        return [.. keys];
    }

    private void EvictOldSnapshots()
    {
        var cutoff = DateTime.UtcNow - SnapshotLifetime;
        foreach (var (id, snapshot) in _snapshots)
        {
            if (snapshot.CreatedUtc < cutoff)
            {
                _snapshots.TryRemove(id, out _);
            }
        }
    }

    private sealed record ListingSnapshot(string Prefix, string[] Keys, DateTime CreatedUtc);
}
