namespace Archiver.Storage;

/// <summary>The named object does not exist in the backend.</summary>
public sealed class ObjectNotFoundException : StorageException
{
    public ObjectNotFoundException()
    {
    }

    public ObjectNotFoundException(string key)
        : base($"Object '{key}' does not exist.")
    {
        Key = key;
    }

    public ObjectNotFoundException(string key, Exception innerException)
        : base($"Object '{key}' does not exist.", innerException)
    {
        Key = key;
    }

    public string Key { get; } = string.Empty;
}
