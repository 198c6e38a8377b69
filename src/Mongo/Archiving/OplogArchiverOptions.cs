using Archiver.Storage;
using Archiver.Storage.Oplog;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Archiver.Mongo.Archiving;

/// <summary>How one member's oplog is archived. Defaults follow the design: a chunk every second or 16 MiB.</summary>
public sealed record OplogArchiverOptions
{
    /// <summary>The replica-set member or shard name the chunks are filed under (<c>oplog/&lt;component&gt;/…</c>).</summary>
    public required string Component { get; init; }

    /// <summary>The timeline this database owns (from <c>RepositoryHistory.OpenForArchivingAsync</c>).</summary>
    public required uint Timeline { get; init; }

    /// <summary>
    /// Where a fresh history (nothing archived yet for this component) starts: after this <c>ts</c>. Null starts at
    /// the oldest entry the oplog still holds. Ignored once the repository holds chunks: they are the resume point.
    /// </summary>
    public OplogTimestamp? StartAfter { get; init; }

    /// <summary>Where chunk uploads and the status are measured (the host's /metrics); null measures nothing.</summary>
    public DatabaseOplogMetrics? Metrics { get; init; }

    public long ChunkMaxBytes { get; init; } = 16L * 1024 * 1024;

    public TimeSpan ChunkMaxAge { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often a chunk is cut while only no-ops (<c>op: "n"</c>, which carry no data) are pending. A replica set writes
    /// a periodic no-op every 10 s, so cutting at <see cref="ChunkMaxAge"/> would upload an object every 10 s for a
    /// database nobody writes to. Null: no-ops cut like any entry.
    /// </summary>
    public TimeSpan? IdleFlushInterval { get; init; }

    /// <summary>Cut a chunk as soon as the tail is caught up (an empty batch), instead of waiting for the age limit.</summary>
    public bool CutWhenCaughtUp { get; init; } = true;

    /// <summary>How long a getMore waits for new entries; short, so an age cut is never late by more than this.</summary>
    public TimeSpan MaxAwaitTime { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Pause before reconnecting after the source failed (failover, network) or retrying a failed publish.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often lag and headroom are refreshed while entries flow or the source is idle.</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Headroom below this raises the <see cref="ArchiverConditionTypes.HeadroomLow"/> condition.</summary>
    public TimeSpan HeadroomAlarm { get; init; } = TimeSpan.FromMinutes(30);

    public ChunkWriterOptions? ChunkWriter { get; init; }

    /// <summary>
    /// Asked before each chunk is published; false ends the run with <see cref="ArchivingRevokedException"/> and
    /// publishes nothing more. The entries of a chunk are read before it is asked, so once the database is deleted
    /// (the answer turns false), nothing written after that reaches the repository. Null: always allowed.
    /// </summary>
    public Func<CancellationToken, Task<bool>>? PublishAllowed { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Where a failure's whole exception goes, once per cause (the conditions carry one line): a replica set down for an
    /// hour is one warning with its detail, not one every retry.
    /// </summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;
}
