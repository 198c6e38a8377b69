namespace Archiver.Storage.Catalog;

/// <summary>Oplog that was never archived: entries after <see cref="After"/> and before <see cref="Before"/> are missing.</summary>
public sealed record OplogGap(string Component, uint Timeline, OplogTimestamp After, long AfterWallUnixMs, OplogTimestamp Before, long BeforeWallUnixMs);
