namespace Archiver.Storage;

/// <summary>
/// An object failed verification (checksum, header, authentication tag). It always names the object so an
/// operator can find it; a corrupt object is never skipped silently.
/// </summary>
public sealed class CorruptObjectException : StorageException
{
    public CorruptObjectException()
    {
    }

    public CorruptObjectException(string message)
        : base(message)
    {
    }

    public CorruptObjectException(string key, string reason)
        : base($"Object '{key}' is corrupt: {reason}")
    {
        Key = key;
    }

    public CorruptObjectException(string key, string reason, Exception innerException)
        : base($"Object '{key}' is corrupt: {reason}", innerException)
    {
        Key = key;
    }

    public CorruptObjectException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public string Key { get; } = string.Empty;
}
