namespace Archiver.Emulators.MongoDb;

/// <summary>
/// A member's data directory cannot be started from: a checkpoint cut short or failing its checksums, a journal that
/// does not follow the checkpoint beside it, an entry that does not apply. mongod refuses to start the same way on a
/// data volume it cannot recover (WiredTiger's checksum errors on a crash-consistent snapshot taken mid-write:
/// mongodb/mongodb-kubernetes-operator issue 573). The message names the file and the reason.
/// </summary>
public sealed class MongoDataDirectoryException : Exception
{
    public MongoDataDirectoryException(string path, string reason)
        : base($"{path}: {reason}")
    {
        Path = path;
        Reason = reason;
    }

    public MongoDataDirectoryException(string path, string reason, Exception inner)
        : base($"{path}: {reason}", inner)
    {
        Path = path;
        Reason = reason;
    }

    public MongoDataDirectoryException()
        : this(string.Empty, "unknown")
    {
    }

    public MongoDataDirectoryException(string message)
        : this(string.Empty, message)
    {
    }

    public MongoDataDirectoryException(string message, Exception inner)
        : this(string.Empty, message, inner)
    {
    }

    /// <summary>The file (or folder) that cannot be started from.</summary>
    public string Path { get; }

    /// <summary>Why, without the path.</summary>
    public string Reason { get; }
}
