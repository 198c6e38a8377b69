using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Query;

/// <summary>Reads the values a dotted path reaches, traversing arrays the way MongoDB's matcher does.</summary>
internal static class DocumentPath
{
    public static List<BsonValue> Values(BsonDocument document, string path)
    {
        if (!path.Contains('.', StringComparison.Ordinal) && document.TryGetValue(path, out var top) && top is not BsonArray)
        {
            // The common case (a top-level scalar such as ts or _id) without splitting or recursion.
            return [top];
        }

        var results = new List<BsonValue>();
        Collect(document, path.Split('.'), 0, results);
        return results;
    }

    private static void Collect(BsonValue current, string[] parts, int index, List<BsonValue> results)
    {
        if (index == parts.Length)
        {
            results.Add(current);
            return;
        }

        switch (current)
        {
            case BsonDocument doc when doc.TryGetValue(parts[index], out var child):
                Collect(child, parts, index + 1, results);
                break;
            case BsonArray array:
                if (int.TryParse(parts[index], out var position) && position >= 0 && position < array.Count)
                {
                    Collect(array[position], parts, index + 1, results);
                }

                foreach (var element in array)
                {
                    if (element is BsonDocument)
                    {
                        Collect(element, parts, index, results);
                    }
                }

                break;
        }
    }
}
