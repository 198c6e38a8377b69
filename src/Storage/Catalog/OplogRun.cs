namespace Archiver.Storage.Catalog;

/// <summary>
/// A stretch of oplog proven continuous: every entry with <c>ts</c> in (<see cref="From"/>, <see cref="End"/>] is
/// archived. <see cref="ChainStart"/>..<see cref="ChainEnd"/> index the chunks that cover it, in replay order.
/// </summary>
public readonly record struct OplogRun(
    OplogTimestamp From,
    OplogTimestamp End,
    long FromWallUnixMs,
    long EndWallUnixMs,
    int ChainStart,
    int ChainEnd);
