namespace Archiver.Mongo.Archiving;

/// <summary>The replica set holds a restore that has not finished (or failed): nothing of it may be archived as history.</summary>
public sealed class RestoreUnfinishedException : InvalidOperationException
{
    public RestoreUnfinishedException()
    {
    }

    public RestoreUnfinishedException(string message)
        : base(message)
    {
    }

    public RestoreUnfinishedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
