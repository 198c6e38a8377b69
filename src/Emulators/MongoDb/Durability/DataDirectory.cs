using Archiver.Emulators.MongoDb.Oplog;

namespace Archiver.Emulators.MongoDb.Durability;

/// <summary>
/// One member's data directory (its dbPath): <c>checkpoint.bin</c>, everything the member held at its last checkpoint,
/// and <c>journal.bin</c>, what it applied since. A checkpoint is written beside the old one under a temporary name and
/// made durable, then the journal that follows it likewise, then both are renamed into place: the folder holds the old
/// pair or the new one at every instant but between the two renames (a window inside one write, where a copy of the
/// folder is as torn as a volume snapshot taken mid-write; a start finishes that rename when it finds the new journal
/// waiting). Not thread-safe: the replica-set lock serialises every call.
/// </summary>
internal sealed class DataDirectory : IDisposable
{
    public const string CheckpointName = "checkpoint.bin";

    public const string JournalName = "journal.bin";

    private const string Pending = ".tmp";

    private JournalFile? _journal;
    private long _generation;

    public DataDirectory(string path) => Path = System.IO.Path.GetFullPath(path);

    public string Path { get; }

    public string CheckpointPath => System.IO.Path.Combine(Path, CheckpointName);

    public string JournalPath => System.IO.Path.Combine(Path, JournalName);

    /// <summary>
    /// Reads and checks what the folder holds (it is created if missing): null when it holds nothing; throws, naming the
    /// file, when it holds something that cannot be started from.
    /// </summary>
    public RecoveredImage? Load()
    {
        Directory.CreateDirectory(Path);
        if (!File.Exists(CheckpointPath))
        {
            if (File.Exists(JournalPath))
            {
                throw new MongoDataDirectoryException(JournalPath, $"a journal without the checkpoint it follows: {CheckpointName} is missing");
            }

            return null;
        }

        var checkpoint = CheckpointFile.Read(CheckpointPath);
        var journal = JournalFollowing(checkpoint);
        _generation = checkpoint.Generation;
        return new RecoveredImage(this, checkpoint, journal, Reached(checkpoint, journal));
    }

    /// <summary>
    /// Writes a checkpoint of the shared state and starts the journal that follows it: from now on the folder holds
    /// exactly the state as it is. Caller holds the replica-set lock.
    /// </summary>
    public void WriteCheckpoint(ReplicaSetState state)
    {
        var generation = _generation + 1;
        var id = Guid.NewGuid();
        var pendingCheckpoint = CheckpointPath + Pending;
        var pendingJournal = JournalPath + Pending;
        CheckpointFile.Write(pendingCheckpoint, state, generation, id);
        var journal = JournalFile.Create(pendingJournal, generation, id);
        _journal?.Dispose();
        _journal = null;
        try
        {
            File.Move(pendingCheckpoint, CheckpointPath, overwrite: true);
            File.Move(pendingJournal, JournalPath, overwrite: true);
        }
        catch
        {
            journal.Dispose();
            throw;
        }

        _journal = journal;
        _generation = generation;
    }

    /// <summary>Appends one framed journal record (nothing before the folder's first checkpoint of this run).</summary>
    public void Append(byte[] frame) => _journal?.Append(frame);

    public void Dispose()
    {
        _journal?.Dispose();
        _journal = null;
    }

    private JournalImage JournalFollowing(CheckpointImage checkpoint)
    {
        var current = File.Exists(JournalPath) ? JournalFile.Read(JournalPath) : null;
        if (current is not null && current.Follows(checkpoint))
        {
            return current;
        }

        var pendingPath = JournalPath + Pending;
        if (File.Exists(pendingPath) && TryRead(pendingPath) is { } pending && pending.Follows(checkpoint))
        {
            // The checkpoint was renamed into place and its journal not yet: finish the rename.
            File.Move(pendingPath, JournalPath, overwrite: true);
            return pending with { Path = JournalPath };
        }

        if (current is null)
        {
            throw new MongoDataDirectoryException(JournalPath, $"missing: {CheckpointName} (generation {checkpoint.Generation}) has no journal beside it");
        }

        throw new MongoDataDirectoryException(
            JournalPath,
            $"it follows checkpoint generation {current.FollowsGeneration} ({current.FollowsId}), but {CheckpointName} beside it is generation {checkpoint.Generation} ({checkpoint.Id}): "
            + "the two files are not from one instant, as in a copy of the folder taken while the member was writing");
    }

    private static JournalImage? TryRead(string path)
    {
        try
        {
            return JournalFile.Read(path);
        }
        catch (MongoDataDirectoryException)
        {
            return null;
        }
    }

    /// <summary>The optime the folder reaches: its journal's last entry, or the checkpoint's when the journal has none.</summary>
    private static OpTime Reached(CheckpointImage checkpoint, JournalImage journal)
    {
        for (var i = journal.Records.Count - 1; i >= 0; i--)
        {
            if (journal.Records[i].Kind != RecordKind.OplogEntry)
            {
                continue;
            }

            var entry = journal.Records[i].Decode();
            try
            {
                return new OpTime(entry["ts"].AsBsonTimestamp, entry["t"].ToInt64(), entry["wall"].ToUniversalTime());
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidCastException)
            {
                throw new MongoDataDirectoryException(journal.Path, $"record {journal.Records[i].Index} is not an oplog entry with ts, t and wall: {e.Message}", e);
            }
        }

        return checkpoint.Applied;
    }
}
