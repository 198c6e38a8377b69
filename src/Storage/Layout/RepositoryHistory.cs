using Archiver.Storage.Backends;

namespace Archiver.Storage.Layout;

/// <summary>
/// Decides which timeline a database may archive into. A database writes only into a timeline it owns: a fresh
/// prefix is claimed (timeline 1); a prefix holding someone else's history is refused; a restored database (one
/// that carries a <see cref="RestoreLineage"/>) gets a timeline of its own branched where its restore stopped, so it
/// never writes into the history it was restored from, and what it writes continues that history without a gap.
/// </summary>
public sealed class RepositoryHistory(IObjectStore store, RepositoryLayout layout)
{
    private const int Attempts = 10;

    public async Task<IReadOnlyList<TimelineRecord>> ListTimelinesAsync(CancellationToken cancellationToken = default) =>
        await ListTimelinesAsync(store, layout, cancellationToken);

    /// <summary>Every timeline record under <paramref name="at"/>, checked against its key.</summary>
    public static async Task<IReadOnlyList<TimelineRecord>> ListTimelinesAsync(IObjectStore store, RepositoryLayout at, CancellationToken cancellationToken = default)
    {
        var timelines = new List<TimelineRecord>();
        await foreach (var item in store.ListAllAsync(at.TimelinesPrefix, cancellationToken))
        {
            var bytes = await store.GetBytesAsync(item.Key, cancellationToken);
            var record = CheckedJson.Deserialize(item.Key, bytes, StorageJsonContext.Default.TimelineRecord);
            if (at.TimelineKey(record.Id) != item.Key)
            {
                throw new CorruptObjectException(item.Key, $"it describes timeline {record.Id}");
            }

            timelines.Add(record);
        }

        return timelines;
    }

    /// <summary>
    /// The timeline <paramref name="databaseUid"/> should archive into: its own (the lowest one, should concurrent
    /// openers each have made one); else, for a restored database, a timeline branched at its
    /// <paramref name="lineage"/>; else timeline 1 if the location is empty. Throws
    /// <see cref="ForeignHistoryException"/> if the location holds another database's history it does not continue.
    /// </summary>
    public async Task<TimelineRecord> OpenForArchivingAsync(
        string databaseUid, DateTimeOffset now, RestoreLineage? lineage = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(databaseUid);
        var continues = lineage is not null && await HoldsSourceAsync(lineage, cancellationToken);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var timelines = await ListTimelinesAsync(cancellationToken);
            if (Own(timelines, databaseUid) is { } own)
            {
                return own;
            }

            if (continues && lineage!.SourcePrefix == layout.Prefix)
            {
                // Restored from this very history: a new timeline beside the one it was restored from.
                var branch = Branch(timelines.Max(t => t.Id) + 1, lineage, parentPrefix: null, databaseUid, now);
                if (await TryCreateAsync(branch, cancellationToken))
                {
                    return await SettleAsync(databaseUid, branch, cancellationToken);
                }

                continue;
            }

            if (timelines.Count > 0)
            {
                throw Foreign(timelines, databaseUid, lineage, continues);
            }

            if ((await store.ListAsync(layout.Prefix + "/", null, 1, cancellationToken)).Objects is { Count: > 0 } found
                && found[0].Key != layout.RepositoryMarkerKey)
            {
                throw new ForeignHistoryException(
                    $"'{layout.Prefix}' is not empty (it holds '{found[0].Key}') but has no Archiver timeline; refusing to archive into it.");
            }

            var marker = new RepositoryMarker(1, databaseUid, now);
            await store.PutBytesIfAbsentAsync(layout.RepositoryMarkerKey, CheckedJson.Serialize(marker, StorageJsonContext.Default.RepositoryMarker), cancellationToken);
            var first = (continues, lineage) switch
            {
                // Restored from another prefix of this storage: its history goes on from there, under its own prefix.
                (true, { } from) => Branch(1, from, from.SourcePrefix, databaseUid, now),
                // Restored from a history this storage does not hold: nothing to link to, but what the restore wrote is
                // still not archived again.
                (false, { } from) => new TimelineRecord(1, null, OplogTimestamp.Zero, 0, databaseUid, now,
                    $"first archive, of a database restored from {from.SourcePrefix} timeline {from.SourceTimeline} (not in this storage) to {from.Target}")
                {
                    ArchiveAfter = from.ArchiveAfter,
                },
                _ => new TimelineRecord(1, null, OplogTimestamp.Zero, 0, databaseUid, now, "first archive"),
            };
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
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var timelines = await ListTimelinesAsync(cancellationToken);
            if (timelines.FirstOrDefault(t => t.Id == parent) is not { } from)
            {
                throw new ArgumentException($"'{layout.Prefix}' has no timeline {parent} to branch from.", nameof(parent));
            }

            var record = new TimelineRecord(timelines.Max(t => t.Id) + 1, parent, branchedAfter, branchedAtWallUnixMs, newOwnerUid, now, reason) { ParentOwner = from.Owner };
            if (await TryCreateAsync(record, cancellationToken))
            {
                return record;
            }
        }

        throw new StorageException($"Could not create a new timeline under '{layout.Prefix}': too many concurrent branches.");
    }

    private static TimelineRecord? Own(IReadOnlyList<TimelineRecord> timelines, string uid) =>
        timelines.Where(t => t.Owner == uid).MinBy(t => t.Id);

    private static TimelineRecord Branch(uint id, RestoreLineage from, string? parentPrefix, string owner, DateTimeOffset now) =>
        new(id, from.SourceTimeline, from.BranchedAfter, from.BranchedAtWallUnixMs, owner, now,
            $"restored from {(parentPrefix ?? "this prefix")} timeline {from.SourceTimeline} to {from.Target}")
        {
            ParentPrefix = parentPrefix,
            ParentOwner = from.SourceOwner,
            ArchiveAfter = from.ArchiveAfter,
        };

    /// <summary>Whether this storage holds the history the lineage names, written by the owner it names.</summary>
    private async Task<bool> HoldsSourceAsync(RestoreLineage lineage, CancellationToken cancellationToken)
    {
        var source = new RepositoryLayout(lineage.SourcePrefix);
        try
        {
            var key = source.TimelineKey(lineage.SourceTimeline);
            var record = CheckedJson.Deserialize(key, await store.GetBytesAsync(key, cancellationToken), StorageJsonContext.Default.TimelineRecord);
            return record.Owner == lineage.SourceOwner;
        }
        catch (ObjectNotFoundException)
        {
            return false;
        }
    }

    /// <summary>After a branch is made: the lowest own timeline is the one; a later duplicate (a lost race) is taken back.</summary>
    private async Task<TimelineRecord> SettleAsync(string uid, TimelineRecord made, CancellationToken cancellationToken)
    {
        var own = Own(await ListTimelinesAsync(cancellationToken), uid) ?? made;
        if (own.Id != made.Id)
        {
            await store.DeleteAsync(layout.TimelineKey(made.Id), cancellationToken);
        }

        return own;
    }

    private ForeignHistoryException Foreign(IReadOnlyList<TimelineRecord> timelines, string uid, RestoreLineage? lineage, bool continues)
    {
        var owners = string.Join(", ", timelines.Select(t => t.Owner).Distinct());
        var why = lineage switch
        {
            null => "It is another database (deleted and created again under the same name, or a second database on the same prefix). " +
                    "Restore it from this history (spec.init.archiver) to continue it on a timeline of its own, or archive it under another prefix.",
            _ when !continues => $"It was restored from {lineage.SourcePrefix} timeline {lineage.SourceTimeline}, which this storage does not hold; archive it under another prefix.",
            _ => $"It was restored from {lineage.SourcePrefix}, another prefix; archive it under its own prefix.",
        };
        return new ForeignHistoryException($"'{layout.Prefix}' already holds the history of database {owners}; refusing to archive database {uid} into it. {why}");
    }

    private Task<bool> TryCreateAsync(TimelineRecord record, CancellationToken cancellationToken) =>
        store.PutBytesIfAbsentAsync(layout.TimelineKey(record.Id), CheckedJson.Serialize(record, StorageJsonContext.Default.TimelineRecord), cancellationToken);
}
