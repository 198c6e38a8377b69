namespace Archiver.Storage.Layout;

/// <summary>Archiving was refused because the location holds another database's history (or data that is not ours).</summary>
public sealed class ForeignHistoryException : StorageException
{
    public ForeignHistoryException()
    {
    }

    public ForeignHistoryException(string message)
        : base(message)
    {
    }

    public ForeignHistoryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
