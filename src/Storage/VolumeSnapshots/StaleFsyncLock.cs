namespace Archiver.Storage.VolumeSnapshots;

/// <summary>A lock record whose holder is gone or overdue: the member it names, who held it, since when.</summary>
public sealed record StaleFsyncLock(string Member, string Holder, DateTimeOffset Since, DateTimeOffset LastRenewed);
