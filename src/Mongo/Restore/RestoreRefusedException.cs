namespace Archiver.Mongo.Restore;

/// <summary>The restore was refused before anything was written (target not recoverable, target not empty, unsupported).</summary>
public sealed class RestoreRefusedException : Exception
{
    public RestoreRefusedException()
    {
    }

    public RestoreRefusedException(string message)
        : base(message)
    {
    }

    public RestoreRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The catalog's reason, when the catalog refused (e.g. <c>AfterLastArchivedEntry</c>).</summary>
    public Storage.Catalog.PlanRefusal? Refusal { get; init; }
}
