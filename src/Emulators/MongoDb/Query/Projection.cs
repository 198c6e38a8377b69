using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Query;

/// <summary>Top-level inclusion or exclusion projections (<c>{a:1}</c>, <c>{a:0}</c>, <c>_id</c> kept unless excluded).</summary>
internal static class Projection
{
    public static BsonDocument Apply(BsonDocument document, BsonDocument? projection)
    {
        if (projection is null || projection.ElementCount == 0)
        {
            return document;
        }

        var including = projection.Any(p => p.Name != "_id" && p.Value.ToBoolean());
        var result = new BsonDocument();
        foreach (var element in document)
        {
            var listed = projection.TryGetValue(element.Name, out var flag);
            var keep = element.Name == "_id"
                ? !listed || flag.ToBoolean()
                : including ? listed && flag.ToBoolean() : !listed || flag.ToBoolean();
            if (keep)
            {
                result.Add(element);
            }
        }

        return result;
    }
}
