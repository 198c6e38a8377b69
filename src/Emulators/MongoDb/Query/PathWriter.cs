using Archiver.Emulators.MongoDb.Commands;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Query;

/// <summary>Reads and writes one dotted path, creating intermediate documents as MongoDB's $set does.</summary>
internal static class PathWriter
{
    public static BsonValue? Get(BsonDocument document, string path)
    {
        BsonValue current = document;
        foreach (var part in path.Split('.'))
        {
            switch (current)
            {
                case BsonDocument doc when doc.TryGetValue(part, out var child):
                    current = child;
                    break;
                case BsonArray array when int.TryParse(part, out var i) && i >= 0 && i < array.Count:
                    current = array[i];
                    break;
                default:
                    return null;
            }
        }

        return current;
    }

    public static void Set(BsonDocument document, string path, BsonValue value)
    {
        var parts = path.Split('.');
        BsonValue current = document;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            current = Child(current, parts[i], create: true, path)!;
        }

        var last = parts[^1];
        switch (current)
        {
            case BsonDocument doc:
                doc.Set(last, value);
                break;
            case BsonArray array when int.TryParse(last, out var index) && index >= 0:
                while (array.Count <= index)
                {
                    array.Add(BsonNull.Value);
                }

                array[index] = value;
                break;
            default:
                throw new CommandError(ErrorCode.PathNotViable, $"Cannot create field '{last}' in element {{{parts[^1]}: {current}}}");
        }
    }

    public static void Unset(BsonDocument document, string path)
    {
        var parts = path.Split('.');
        BsonValue? current = document;
        for (var i = 0; i < parts.Length - 1 && current is not null; i++)
        {
            current = Child(current, parts[i], create: false, path);
        }

        switch (current)
        {
            case BsonDocument doc:
                doc.Remove(parts[^1]);
                break;
            case BsonArray array when int.TryParse(parts[^1], out var index) && index >= 0 && index < array.Count:
                // $unset of an array element leaves a null in its place, as in MongoDB.
                array[index] = BsonNull.Value;
                break;
        }
    }

    private static BsonValue? Child(BsonValue current, string part, bool create, string path)
    {
        switch (current)
        {
            case BsonDocument doc:
                if (doc.TryGetValue(part, out var child))
                {
                    if (child is BsonDocument or BsonArray)
                    {
                        return child;
                    }

                    if (!create)
                    {
                        return null;
                    }

                    throw new CommandError(ErrorCode.PathNotViable, $"Cannot create field in element {{{part}: {child}}} for path '{path}'");
                }

                if (!create)
                {
                    return null;
                }

                var created = new BsonDocument();
                doc.Add(part, created);
                return created;
            case BsonArray array when int.TryParse(part, out var index) && index >= 0:
                if (index < array.Count && array[index] is BsonDocument or BsonArray)
                {
                    return array[index];
                }

                if (!create)
                {
                    return null;
                }

                while (array.Count <= index)
                {
                    array.Add(BsonNull.Value);
                }

                array[index] = new BsonDocument();
                return array[index];
            default:
                if (!create)
                {
                    return null;
                }

                throw new CommandError(ErrorCode.PathNotViable, $"Cannot create field '{part}' for path '{path}'");
        }
    }
}
