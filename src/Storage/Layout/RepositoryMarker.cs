namespace Archiver.Storage.Layout;

/// <summary>Says "this prefix is an Archiver repository" and which database first claimed it.</summary>
public sealed record RepositoryMarker(int FormatVersion, string CreatedBy, DateTimeOffset CreatedAt);
