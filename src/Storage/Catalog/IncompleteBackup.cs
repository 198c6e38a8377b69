namespace Archiver.Storage.Catalog;

/// <summary>
/// Files under a backup folder that never got a manifest: a backup still running, or one whose process died.
/// Invisible to plans; retention removes them once they are older than its grace period.
/// </summary>
public sealed record IncompleteBackup(string Id, IReadOnlyList<string> Keys, DateTimeOffset LastModified);
