namespace Archiver.Storage.Backends;

/// <summary>A page of a listing; a null <see cref="ContinuationToken"/> means the listing is complete.</summary>
public sealed record ObjectListing(IReadOnlyList<StoredObject> Objects, string? ContinuationToken);
