using Archiver.Storage;

namespace Archiver.Mongo.Archiving;

/// <summary>
/// Entries after <see cref="After"/> and before <see cref="Before"/> rolled off before they were archived. The
/// repository shows the same gap on its own (the chunk after it has no <c>previous</c>), so the catalog never
/// advertises a window across it.
/// </summary>
public sealed record ArchivedGap(OplogTimestamp After, DateTimeOffset AfterWall, OplogTimestamp Before, DateTimeOffset BeforeWall, DateTimeOffset DetectedAt);
