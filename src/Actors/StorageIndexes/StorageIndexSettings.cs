namespace Archiver.Actors.StorageIndexes;

public sealed record StorageIndexSettings
{
    /// <summary>How often every known folder is listed again, to catch what no report told of (another writer, a manual delete).</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromMinutes(5);
}
