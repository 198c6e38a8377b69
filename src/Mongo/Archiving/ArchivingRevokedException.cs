namespace Archiver.Mongo.Archiving;

/// <summary>
/// Whoever runs the archiver no longer allows it to publish (see <see cref="OplogArchiverOptions.PublishAllowed"/>):
/// the database is gone (deleted, or replaced by another of the same name), or the sidecar's member is no longer the
/// primary. It stops without publishing what it read since.
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
