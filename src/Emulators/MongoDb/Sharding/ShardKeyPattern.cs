using Archiver.Emulators.MongoDb.Bson;
using Archiver.Emulators.MongoDb.Commands;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>
/// A collection's shard key (<c>{k: 1}</c>, <c>{a: 1, b: 1}</c> or <c>{k: "hashed"}</c>) and the key values it gives a
/// document, in the space chunks are cut in: the values of the key's fields in order, a hashed field replaced by its
/// <see cref="MongoHash"/>. A missing field counts as null, as MongoDB 4.4+ lets documents miss shard-key fields.
/// </summary>
internal sealed class ShardKeyPattern
{
    public ShardKeyPattern(BsonDocument pattern)
    {
        if (pattern.ElementCount == 0)
        {
            throw new CommandError(ErrorCode.BadValue, "shard key pattern must not be empty");
        }

        var hashed = pattern.Where(e => e.Value is BsonString { Value: "hashed" }).ToList();
        if (hashed.Count > 1)
        {
            throw new CommandError(ErrorCode.BadValue, "a shard key may have at most one hashed field");
        }

        foreach (var element in pattern)
        {
            if (element.Value is not BsonString { Value: "hashed" } && !(element.Value.IsNumeric && element.Value.ToDouble() == 1))
            {
                // src/mongo/db/s/shard_key_pattern.cpp: fields are ascending (1) or "hashed".
                throw new CommandError(ErrorCode.BadValue, $"Unsupported shard key pattern {pattern}. Pattern must either be a single hashed field, or a list of ascending fields");
            }
        }

        Pattern = pattern;
        HashedField = hashed.Count == 1 ? hashed[0].Name : null;
    }

    public BsonDocument Pattern { get; }

    public string? HashedField { get; }

    public IEnumerable<string> Fields => Pattern.Names;

    /// <summary>The lowest key: MinKey in every field (the first chunk's min).</summary>
    public BsonDocument GlobalMin => new(Pattern.Names.Select(n => new BsonElement(n, BsonMinKey.Value)));

    /// <summary>The highest key: MaxKey in every field (the last chunk's max).</summary>
    public BsonDocument GlobalMax => new(Pattern.Names.Select(n => new BsonElement(n, BsonMaxKey.Value)));

    /// <summary>The key a stored document has.</summary>
    public BsonDocument KeyOf(BsonDocument document)
    {
        var key = new BsonDocument();
        foreach (var field in Pattern.Names)
        {
            var value = ValueAt(document, field) ?? BsonNull.Value;
            if (value is BsonArray)
            {
                throw new CommandError(ErrorCode.ShardKeyNotFound, $"Shard key cannot contain an array: field {field}");
            }

            key.Add(field, field == HashedField ? new BsonInt64(MongoHash.Hash64(value)) : value);
        }

        return key;
    }

    /// <summary>
    /// The one key a query names by equality on every shard-key field (<c>{k: 5}</c> or <c>{k: {$eq: 5}}</c>), or null
    /// when it does not: such a query is sent to every shard.
    /// </summary>
    public BsonDocument? KeyOfQuery(BsonDocument? query)
    {
        if (query is null)
        {
            return null;
        }

        var key = new BsonDocument();
        foreach (var field in Pattern.Names)
        {
            if (!query.TryGetValue(field, out var value))
            {
                return null;
            }

            if (value is BsonDocument operators && operators.ElementCount > 0 && operators.GetElement(0).Name.StartsWith('$'))
            {
                if (operators.ElementCount != 1 || !operators.TryGetValue("$eq", out value))
                {
                    return null;
                }
            }

            if (value is BsonArray or BsonRegularExpression)
            {
                return null;
            }

            key.Add(field, field == HashedField ? new BsonInt64(MongoHash.Hash64(value)) : value);
        }

        return key;
    }

    /// <summary>Compares two keys field by field in MongoDB's order (MinKey and MaxKey at the ends).</summary>
    public static int Compare(BsonDocument a, BsonDocument b)
    {
        for (var i = 0; i < Math.Min(a.ElementCount, b.ElementCount); i++)
        {
            var order = BsonOrder.Instance.Compare(a[i], b[i]);
            if (order != 0)
            {
                return order;
            }
        }

        return a.ElementCount.CompareTo(b.ElementCount);
    }

    private static BsonValue? ValueAt(BsonDocument document, string path)
    {
        BsonValue current = document;
        foreach (var part in path.Split('.'))
        {
            if (current is not BsonDocument embedded || !embedded.TryGetValue(part, out current!))
            {
                return null;
            }
        }

        return current;
    }
}
