using System.Text.Json;
using Archiver.Storage.Backends;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;

namespace Archiver.Storage.Catalog;

/// <summary>
/// A <see cref="RestorePlan"/> as text: what <c>archiver plan</c> prints, what a restore records when it starts (in its
/// database entity's journal) and what the restore then runs, chunk for chunk. Made once, by the catalog; a restore
/// taken up again after its node stopped runs the plan it recorded, not a new one, so the replay it resumes is the one
/// it started. Everything needed is in it: the base backup's id and prefix, and every chunk's name (which carries its
/// range, see <see cref="ChunkName"/>) and size, so running it needs no listing of the whole repository (one of each
/// segment's folder finds the chunks compaction merged since).
/// </summary>
public sealed record RestorePlanDocument
{
    public int FormatVersion { get; init; } = 1;

    /// <summary>The target, resolved (<c>latest</c> and <c>immediate</c> become a ts), as <see cref="RecoveryTarget.Format"/> writes it.</summary>
    public required string Target { get; init; }

    /// <summary>The timeline the target falls on.</summary>
    public required uint Timeline { get; init; }

    /// <summary>The owner (<c>metadata.uid</c>) of <see cref="Timeline"/>, for the restored database's lineage.</summary>
    public string? SourceOwner { get; init; }

    public required string BasePrefix { get; init; }

    public required uint BaseTimeline { get; init; }

    public required string BaseBackupId { get; init; }

    /// <summary>The base backup's T0: the replay starts after it.</summary>
    public required OplogTimestamp ReplayAfter { get; init; }

    public required IReadOnlyList<PlannedSegment> Segments { get; init; }

    public required long BytesToRead { get; init; }

    public long EntriesToReplay => Segments.Sum(s => s.Chunks.Sum(c => (long)ChunkRangeOf(c).EntryCount));

    public int ChunkCount => Segments.Sum(s => s.Chunks.Count);

    public static RestorePlanDocument From(RestorePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new RestorePlanDocument
        {
            Target = plan.Target.Format(),
            Timeline = plan.Timeline,
            SourceOwner = plan.SourceOwner,
            BasePrefix = plan.BasePrefix,
            BaseTimeline = plan.BaseTimeline,
            BaseBackupId = plan.BaseBackup.Id,
            ReplayAfter = plan.BaseBackup.ReplayAfter,
            Segments = [.. plan.Segments.Select(s => new PlannedSegment(
                s.Prefix, s.Timeline, s.Component, s.After, s.Until, [.. s.Chunks.Select(c => new PlannedChunk(ChunkName.Format(c.Range), c.Range.SizeBytes))]))],
            BytesToRead = plan.BytesToRead,
        };
    }

    /// <summary>Indented JSON with stable names: the same plan is always the same text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, StorageJsonContext.Default.RestorePlanDocument);

    public static RestorePlanDocument FromJson(string json)
    {
        ArgumentException.ThrowIfNullOrEmpty(json);
        RestorePlanDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(json, StorageJsonContext.Default.RestorePlanDocument);
        }
        catch (JsonException e)
        {
            throw new FormatException($"a restore plan's JSON does not match its shape: {e.Message}", e);
        }

        return document is { FormatVersion: 1 }
            ? document
            : throw new FormatException($"a restore plan must be format 1, not {document?.FormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}");
    }

    /// <summary>
    /// The plan to run: its base backup's manifest read again (and checked to be the one planned from), its chunks
    /// named as planned (or, where compaction has merged them since, the objects that hold them). A base backup since
    /// removed, or replaced by another under its id, refuses the plan.
    /// </summary>
    public async Task<RestorePlan> ResolveAsync(IObjectStore store, CancellationToken cancellationToken = default)
    {
        var manifest = await new FullBackupReader(store, new RepositoryLayout(BasePrefix)).ReadManifestAsync(BaseBackupId, cancellationToken);
        if (manifest.Status != BackupStatus.Succeeded || manifest.Timeline != BaseTimeline || manifest.ReplayAfter != ReplayAfter)
        {
            throw new InvalidOperationException(
                $"backup {BaseBackupId} under '{BasePrefix}' is not the one this plan was made from (timeline {manifest.Timeline}, T0 {manifest.ReplayAfter}, {manifest.Status}; planned: timeline {BaseTimeline}, T0 {ReplayAfter}, Succeeded)");
        }

        var segments = new List<ReplaySegment>();
        foreach (var s in Segments)
        {
            var layout = new RepositoryLayout(s.Prefix);
            var chunks = await FollowCompactionAsync(store, layout, s, cancellationToken);
            segments.Add(new ReplaySegment(s.Prefix, s.Timeline, s.Component, s.After, s.Until, [.. chunks.Select(range =>
                new ChunkDescriptor(layout.ChunkKey(s.Component, s.Timeline, range), s.Component, s.Timeline, range))]));
        }

        return new RestorePlan(RecoveryTarget.Parse(Target), Timeline, manifest, [.. segments.Select(s => new PlannedComponent(s.Component, s.Chunks))], BytesToRead)
        {
            BasePrefix = BasePrefix,
            Segments = segments,
            SourceOwner = SourceOwner,
        };
    }

    /// <summary>
    /// The segment's chunks as planned, except those compaction has since merged and removed (a restore taken up again
    /// days later): each is replaced by the merged object that holds all of it, which replays the same entries. One
    /// listing of the segment's folder tells which; a chunk neither there nor held by anything listed stays as planned,
    /// and the replay then says it is missing.
    /// </summary>
    private static async Task<List<ChunkRange>> FollowCompactionAsync(IObjectStore store, RepositoryLayout layout, PlannedSegment segment, CancellationToken cancellationToken)
    {
        var listed = new List<ChunkRange>();
        var present = new HashSet<string>(StringComparer.Ordinal);
        var folder = layout.OplogPrefix(segment.Component, segment.Timeline);
        await foreach (var item in store.ListAllAsync(folder, cancellationToken))
        {
            var name = item.Key[folder.Length..];
            if (ChunkName.TryParse(name, item.Size, out var range))
            {
                listed.Add(range);
                present.Add(name);
            }
        }

        var chunks = new List<ChunkRange>();
        foreach (var planned in segment.Chunks)
        {
            var range = ChunkRangeOf(planned);
            if (!present.Contains(planned.Name)
                && listed.Where(l => l.First <= range.First && range.Last <= l.Last).OrderByDescending(l => l.Last).FirstOrDefault() is { EntryCount: > 0 } holder)
            {
                range = holder;
            }

            if (chunks.Count == 0 || chunks[^1] != range)
            {
                chunks.Add(range);
            }
        }

        return chunks;
    }

    private static ChunkRange ChunkRangeOf(PlannedChunk chunk) => ChunkName.TryParse(chunk.Name, chunk.Bytes, out var range)
        ? range
        : throw new FormatException($"'{chunk.Name}' is not an oplog chunk's name");
}

/// <summary>One timeline's part of a planned replay (see <see cref="ReplaySegment"/>): its chunks by name, oldest first.</summary>
public sealed record PlannedSegment(string Prefix, uint Timeline, string Component, OplogTimestamp After, OplogTimestamp? Until, IReadOnlyList<PlannedChunk> Chunks);

/// <summary>A chunk's object name (under its segment's oplog folder) and stored size.</summary>
public sealed record PlannedChunk(string Name, long Bytes);
