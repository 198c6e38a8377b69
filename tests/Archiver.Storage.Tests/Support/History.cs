using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;

namespace Archiver.Storage.Tests.Support;

/// <summary>
/// Builds synthetic catalogs: one oplog entry per second at ts (second, 1) with wall = second * 1000 ms, so
/// times in tests read as plain seconds.
/// </summary>
internal static class History
{
    public static readonly RepositoryLayout RepoLayout = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders");

    public static OplogTimestamp Ts(uint second) => new(second, 1);

    public static DateTimeOffset At(long second) => DateTimeOffset.FromUnixTimeMilliseconds(second * 1000);

    /// <summary>A chunk holding seconds first..last whose predecessor is <paramref name="previous"/> (0 = none).</summary>
    public static ChunkRange Chunk(uint first, uint last, uint previous, long size = 100) =>
        new(Ts(first), Ts(last), previous == 0 ? OplogTimestamp.Zero : Ts(previous), first * 1000L, last * 1000L, (int)(last - first + 1), size);

    /// <summary>Contiguous chunks covering first..last, <paramref name="span"/> seconds each, linked to the entry before.</summary>
    public static IEnumerable<ChunkRange> Chunks(uint first, uint last, uint span, uint previous)
    {
        for (var start = first; start <= last; start += span)
        {
            var end = Math.Min(last, start + span - 1);
            yield return Chunk(start, end, start == first ? previous : start - 1);
        }
    }

    public static BackupManifest Backup(string id, uint consistentSecond, BackupStatus status = BackupStatus.Succeeded, uint timeline = 1, params string[] components) => new()
    {
        Id = id,
        Driver = "mongodump",
        Components = components.Length == 0 ? ["rs0"] : components,
        Timeline = timeline,
        StartedAt = At(consistentSecond - 1),
        FinishedAt = At(consistentSecond),
        Status = status,
        ConsistentAt = status == BackupStatus.Succeeded ? Ts(consistentSecond) : OplogTimestamp.Zero,
        ConsistentWallUnixMs = status == BackupStatus.Succeeded ? consistentSecond * 1000L : 0,
        Files = [new BackupFile("data", "rs0", 10_000, 1_000, new string('0', 64), "zstd")],
    };

    /// <summary>A backup taken while writes went on: its data needs the oplog after <paramref name="replayFromSecond"/> (T0).</summary>
    public static BackupManifest LiveBackup(string id, uint replayFromSecond, uint consistentSecond) =>
        Backup(id, consistentSecond) with { ReplayFrom = Ts(replayFromSecond) };

    /// <summary>The record of timeline 1: the first archive of <paramref name="owner"/>.</summary>
    public static TimelineRecord FirstTimeline(string owner = "uid-a") =>
        new(1, null, OplogTimestamp.Zero, 0, owner, At(0), "first archive");

    /// <summary>
    /// The record of timeline <paramref name="id"/>, restored from <paramref name="parent"/> (owned by
    /// <paramref name="parentOwner"/>) up to second <paramref name="branchedAfter"/> of the parent, at wall second
    /// <paramref name="branchedAt"/>; its own oplog is archived after second <paramref name="archiveAfter"/> of its own
    /// replica set (null: not archived from where the restore ended).
    /// </summary>
    public static TimelineRecord BranchRecord(
        uint id, uint parent, uint branchedAfter, long branchedAt, uint? archiveAfter, string owner = "uid-b", string parentOwner = "uid-a", string? parentPrefix = null) =>
        new(id, parent, Ts(branchedAfter), branchedAt * 1000, owner, At(0), $"restored from timeline {parent}")
        {
            ParentPrefix = parentPrefix,
            ParentOwner = parentOwner,
            ArchiveAfter = archiveAfter is { } after ? Ts(after) : null,
        };

    public static void AddChunks(this RepositoryCatalog catalog, uint timeline, IEnumerable<ChunkRange> chunks)
    {
        foreach (var chunk in chunks)
        {
            catalog.Timeline(timeline).AddChunk("rs0", chunk);
        }
    }

    public static RepositoryCatalog NewCatalog(IEnumerable<ChunkRange> chunks, params BackupManifest[] backups)
    {
        var catalog = new RepositoryCatalog(RepoLayout);
        foreach (var chunk in chunks)
        {
            catalog.Timeline(1).AddChunk("rs0", chunk);
        }

        foreach (var backup in backups)
        {
            catalog.AddBackup(backup);
        }

        return catalog;
    }
}
