using Archiver.Emulators.MongoDb.Bson;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Query;

/// <summary>Sorts by one or more fields in BSON order (documents come in <c>_id</c> order already).</summary>
internal static class Sorting
{
    public static IEnumerable<BsonDocument> Apply(IEnumerable<BsonDocument> documents, BsonDocument? sort)
    {
        if (sort is null || sort.ElementCount == 0 || sort.All(k => k.Name == "$natural"))
        {
            var natural = sort is not null && sort.TryGetValue("$natural", out var direction) && direction.ToInt32() < 0;
            return natural ? documents.Reverse() : documents;
        }

        var keys = sort.Select(k => (Path: k.Name, Descending: k.Value.IsNumeric && k.Value.ToDouble() < 0)).ToList();
        return documents.Order(Comparer<BsonDocument>.Create((a, b) =>
        {
            foreach (var (path, descending) in keys)
            {
                var c = BsonOrder.Instance.Compare(KeyOf(a, path), KeyOf(b, path));
                if (c != 0)
                {
                    return descending ? -c : c;
                }
            }

            return 0;
        }));
    }

    private static BsonValue KeyOf(BsonDocument document, string path) =>
        DocumentPath.Values(document, path).FirstOrDefault() ?? BsonNull.Value;
}
