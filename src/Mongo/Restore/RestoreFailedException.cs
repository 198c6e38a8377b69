namespace Archiver.Mongo.Restore;

/// <summary>
/// The restore failed after it began writing. The target keeps its incomplete marker
/// (<c>archiver_restore.incomplete</c>), so it is never mistaken for a good restore.
/// </summary>
public sealed class RestoreFailedException : Exception
{
    public RestoreFailedException()
    {
    }

    public RestoreFailedException(string message)
        : base(message)
    {
    }

    public RestoreFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
