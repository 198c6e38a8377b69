namespace Archiver.Storage.Catalog;

/// <summary>What a recovery target names.</summary>
public enum RecoveryTargetKind
{
    /// <summary>A wall-clock time with microseconds.</summary>
    Time,

    /// <summary>An exact oplog <c>ts</c> (<c>seconds:increment</c>).</summary>
    Ts,

    /// <summary>Everything archived: the end of the newest recoverable window.</summary>
    Latest,

    /// <summary>The newest backup's consistent point alone (T1), with no oplog after it.</summary>
    Immediate,
}
