namespace Archiver.Storage.VolumeSnapshots;

/// <summary>A snapshot ready to restore from: its size, its content and the driver's handle of it.</summary>
public sealed record VolumeSnapshotReady(long RestoreSizeBytes, string? ContentName, string? SnapshotHandle, string? Driver, DateTimeOffset CreatedAt);
