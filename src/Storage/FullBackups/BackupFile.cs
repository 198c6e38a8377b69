namespace Archiver.Storage.FullBackups;

/// <summary>One data file of a full backup: its original size and SHA-256, checked when it is read back.</summary>
public sealed record BackupFile(string Name, string Component, long Size, long StoredSize, string Sha256, string Codec);
