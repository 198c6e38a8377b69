using System.Globalization;
using Archiver.Storage.Backends;

namespace Archiver.Storage.Layout;

/// <summary>
/// Where each object lives under one database's prefix. Every name below the prefix sorts by time within its
/// folder, so a plain listing already shows the time ranges. See docs/storage.md.
/// </summary>
public sealed record RepositoryLayout
{
    public RepositoryLayout(string prefix)
    {
        ObjectKey.Validate(prefix);
        Prefix = prefix.TrimEnd('/');
    }

    /// <summary>The database's expanded prefix, e.g. <c>db/MongoDB/shop/orders</c>.</summary>
    public string Prefix { get; }

    public string RepositoryMarkerKey => $"{Prefix}/repository.json";

    public string TimelinesPrefix => $"{Prefix}/timelines/";

    public string OplogRoot => $"{Prefix}/oplog/";

    public string BackupsPrefix => $"{Prefix}/backups/";

    /// <summary>Where running restores say which histories they read (<see cref="Oplog.RestoreLease"/>).</summary>
    public string LeasesPrefix => $"{Prefix}/leases/";

    public string LeaseKey(string holder)
    {
        ValidateSegment(holder, nameof(holder));
        return $"{LeasesPrefix}{holder}.json";
    }

    /// <summary>The prefix of a database: <c>db/$APP_KIND/$APP_NAMESPACE/$APP_NAME</c>.</summary>
    public static RepositoryLayout ForDatabase(string kind, string @namespace, string name)
    {
        ValidateSegment(kind, nameof(kind));
        ValidateSegment(@namespace, nameof(@namespace));
        ValidateSegment(name, nameof(name));
        return new RepositoryLayout($"db/{kind}/{@namespace}/{name}");
    }

    public string TimelineKey(uint timeline) => $"{TimelinesPrefix}{FormatTimeline(timeline)}.json";

    public string OplogPrefix(string component, uint timeline)
    {
        ValidateSegment(component, nameof(component));
        return $"{OplogRoot}{component}/{FormatTimeline(timeline)}/";
    }

    public string ChunkKey(string component, uint timeline, in Oplog.ChunkRange range) =>
        OplogPrefix(component, timeline) + ChunkName.Format(range);

    public string BackupPrefix(string backupId)
    {
        ValidateSegment(backupId, nameof(backupId));
        return $"{BackupsPrefix}{backupId}/";
    }

    public string BackupManifestKey(string backupId) => BackupPrefix(backupId) + "manifest.json";

    public string BackupFileKey(string backupId, string fileName)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        var key = BackupPrefix(backupId) + "files/" + fileName;
        ObjectKey.Validate(key);
        return key;
    }

    public static string FormatTimeline(uint timeline) => timeline.ToString("D8", CultureInfo.InvariantCulture);

    /// <summary>Component and id segments: letters, digits, '-', '_' and '.', not starting with '.'.</summary>
    public static void ValidateSegment(string segment, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(segment, parameter);
        if (segment[0] == '.' || !segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException($"'{segment}' may hold only ASCII letters, digits, '-', '_' and '.', and not start with '.'.", parameter);
        }
    }
}
