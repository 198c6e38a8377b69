namespace Archiver.Storage.VolumeSnapshots;

/// <summary>A Pending claim's provisioner warning, in one line, and since when the same warning has been repeated.</summary>
public sealed record ClaimTrouble(string Message, DateTimeOffset Since);
