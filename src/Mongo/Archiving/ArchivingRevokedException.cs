namespace Archiver.Mongo.Archiving;

/// <summary>
/// The database being archived is gone (deleted, or replaced by another of the same name): its archiver stops
/// without publishing what it read since (see <see cref="OplogArchiverOptions.PublishAllowed"/>).
/// </summary>
public sealed class ArchivingRevokedException : InvalidOperationException
{
    public ArchivingRevokedException()
    {
    }

    public ArchivingRevokedException(string message)
        : base(message)
    {
    }

    public ArchivingRevokedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
