namespace Archiver.Emulators.MongoDb.Durability;

/// <summary>
/// A journal read back: the checkpoint it follows (by generation and id) and its whole records after the header; a
/// torn tail, if there was one, is left out and described in <paramref name="DroppedTail"/>.
/// </summary>
internal sealed record JournalImage(string Path, long FollowsGeneration, Guid FollowsId, IReadOnlyList<Record> Records, string? DroppedTail)
{
    public bool Follows(CheckpointImage checkpoint) => FollowsGeneration == checkpoint.Generation && FollowsId == checkpoint.Id;
}
