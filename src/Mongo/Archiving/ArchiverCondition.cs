namespace Archiver.Mongo.Archiving;

/// <summary>A raised condition (see <see cref="ArchiverConditionTypes"/>) with why and since when.</summary>
public sealed record ArchiverCondition(string Type, string Message, DateTimeOffset Since);
