using Archiver.Storage.Catalog;

namespace Archiver.Storage.Verification;

/// <summary>
/// A recoverable window a broken object takes away from <see cref="From"/> on: a restore to a time inside the
/// window at or after it needs the object. For a broken backup file, the whole window.
/// </summary>
public sealed record BrokenWindow(RecoverableWindow Window, DateTimeOffset From);
