using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.Snapshots;

/// <summary>
/// What the snapshot controllers keep with <c>storeObjectUpdate</c> (external-snapshotter <c>pkg/utils/util.go</c>
/// StoreObjectUpdate): the version of each object they last wrote, so that a pass whose informer has not yet seen
/// that write skips the object instead of acting twice on what it already changed (two appended finalizers, a
/// status written over). The watch brings the written version, and the next pass.
/// </summary>
internal sealed class WrittenVersions
{
    private readonly ConcurrentDictionary<string, long> _versions = new(StringComparer.Ordinal);

    /// <summary>Records the object a write returned; returns it.</summary>
    public JsonObject Wrote(JsonObject written)
    {
        _versions.AddOrUpdate(J.Uid(written), Version(written), (_, known) => Math.Max(known, Version(written)));
        return written;
    }

    /// <summary>Whether the cached object is older than what this controller last wrote of it.</summary>
    public bool IsStale(JsonObject cached)
    {
        if (!_versions.TryGetValue(J.Uid(cached), out var written)) return false;
        if (Version(cached) < written) return true;
        _versions.TryRemove(KeyValuePair.Create(J.Uid(cached), written));
        return false;
    }

    private static long Version(JsonObject item) =>
        long.TryParse(J.Text(item["metadata"]?["resourceVersion"]), NumberStyles.Integer, CultureInfo.InvariantCulture, out var version) ? version : 0;
}
