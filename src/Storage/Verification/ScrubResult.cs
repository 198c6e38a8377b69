namespace Archiver.Storage.Verification;

/// <summary>
/// What a scrub of one repository found. <see cref="Vanished"/> counts objects listed but gone when read: deleted
/// since (retention, compaction); the next listing no longer shows them, so they break nothing the catalog claims.
/// </summary>
public sealed record ScrubResult(
    string Prefix,
    int ChunksChecked,
    int BackupFilesChecked,
    long BytesChecked,
    int Vanished,
    IReadOnlyList<ScrubProblem> Problems)
{
    /// <summary>Every object read verified: KubeStash's <c>Verified</c>.</summary>
    public bool Verified => Problems.Count == 0;
}
