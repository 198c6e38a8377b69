using Archiver.Storage.Backends;

namespace Archiver.Storage.Layout;

/// <summary>
/// Decides which timeline a database may archive into. A database writes only into a timeline it owns: a fresh
/// prefix is claimed (timeline 1); a prefix holding someone else's history is refused; a restored database
/// continues only after <see cref="BranchAsync"/> gave it a new timeline, so it never writes into the history it
/// was restored from.
/// </summary>
public sealed class RepositoryHistory(IObjectStore store, RepositoryLayout layout)
{
    public async Task<IReadOnlyList<TimelineRecord>> ListTimelinesAsync(CancellationToken cancellationToken = default)
    {
        var timelines = new List<TimelineRecord>();
        await foreach (var item in store.ListAllAsync(layout.TimelinesPrefix, cancellationToken))
        {
            var bytes = await store.GetBytesAsync(item.Key, cancellationToken);
            var record = CheckedJson.Deserialize(item.Key, bytes, StorageJsonContext.Default.TimelineRecord);
            if (layout.TimelineKey(record.Id) != item.Key)
            {
                throw new CorruptObjectException(item.Key, $"it describes timeline {record.Id}");
            }

            timelines.Add(record);
        }

        return timelines;
    }

    /// <summary>
    /// The timeline <paramref name="databaseUid"/> should archive into: its newest own timeline, or timeline 1 if
    /// the location is empty. Throws <see cref="ForeignHistoryException"/> if the location holds other history.
    /// </summary>
    public async Task<TimelineRecord> OpenForArchivingAsync(string databaseUid, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(databaseUid);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var timelines = await ListTimelinesAsync(cancellationToken);
            var own = timelines.Where(t => t.Owner == databaseUid).MaxBy(t => t.Id);
            if (own is not null)
            {
                return own;
            }

            if (timelines.Count > 0)
            {
                var owners = string.Join(", ", timelines.Select(t => t.Owner).Distinct());
                throw new ForeignHistoryException(
                    $"'{layout.Prefix}' already holds the history of database {owners}; refusing to archive database {databaseUid} into it. " +
                    "A database restored from this history must branch a new timeline first, or archive under another prefix.");
            }

            if ((await store.ListAsync(layout.Prefix + "/", null, 1, cancellationToken)).Objects is { Count: > 0 } found
                && found[0].Key != layout.RepositoryMarkerKey)
            {
                throw new ForeignHistoryException(
                    $"'{layout.Prefix}' is not empty (it holds '{found[0].Key}') but has no Archiver timeline; refusing to archive into it.");
            }

            var marker = new RepositoryMarker(1, databaseUid, now);
            await store.PutBytesIfAbsentAsync(layout.RepositoryMarkerKey, CheckedJson.Serialize(marker, StorageJsonContext.Default.RepositoryMarker), cancellationToken);
            var first = new TimelineRecord(1, null, OplogTimestamp.Zero, 0, databaseUid, now, "first archive");
            if (await TryCreateAsync(first, cancellationToken))
            {
                return first;
            }

            // Another writer claimed the location between the listing and the claim: look again.
        }

        throw new StorageException($"Could not claim '{layout.Prefix}': it kept changing under us.");
    }

    /// <summary>
    /// Starts a new timeline for a database restored from <paramref name="parent"/> up to <paramref name="branchedAfter"/>;
    /// its archiving then goes there and never mixes with the history it was restored from.
    /// </summary>
    public async Task<TimelineRecord> BranchAsync(
        uint parent, OplogTimestamp branchedAfter, long branchedAtWallUnixMs, string newOwnerUid, DateTimeOffset now, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(newOwnerUid);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var timelines = await ListTimelinesAsync(cancellationToken);
            if (timelines.All(t => t.Id != parent))
            {
                throw new ArgumentException($"'{layout.Prefix}' has no timeline {parent} to branch from.", nameof(parent));
            }

            var record = new TimelineRecord(timelines.Max(t => t.Id) + 1, parent, branchedAfter, branchedAtWallUnixMs, newOwnerUid, now, reason);
            if (await TryCreateAsync(record, cancellationToken))
            {
                return record;
            }
        }

        throw new StorageException($"Could not create a new timeline under '{layout.Prefix}': too many concurrent branches.");
    }

    private Task<bool> TryCreateAsync(TimelineRecord record, CancellationToken cancellationToken) =>
        store.PutBytesIfAbsentAsync(layout.TimelineKey(record.Id), CheckedJson.Serialize(record, StorageJsonContext.Default.TimelineRecord), cancellationToken);
}
