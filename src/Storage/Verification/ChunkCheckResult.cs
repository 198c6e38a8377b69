namespace Archiver.Storage.Verification;

/// <summary>What <see cref="ChunkChainCheck"/> read: how many chunks, their stored bytes, and every problem (no windows named yet).</summary>
public sealed record ChunkCheckResult(int Checked, long Bytes, IReadOnlyList<ScrubProblem> Problems);
