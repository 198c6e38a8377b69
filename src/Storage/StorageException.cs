namespace Archiver.Storage;

/// <summary>Base of every error the repository raises on purpose, so callers can tell them from bugs.</summary>
public class StorageException : Exception
{
    public StorageException()
    {
    }

    public StorageException(string message)
        : base(message)
    {
    }

    public StorageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
