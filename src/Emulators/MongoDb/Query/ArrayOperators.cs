using Archiver.Emulators.MongoDb.Commands;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Query;

/// <summary><c>$addToSet</c> (with <c>$each</c>), <c>$pull</c> (a value or a condition) and <c>$pop</c>.</summary>
internal static class ArrayOperators
{
    public static void Apply(BsonDocument document, string path, string op, BsonValue value)
    {
        var current = PathWriter.Get(document, path);
        if (current is null)
        {
            if (op == "$addToSet")
            {
                PathWriter.Set(document, path, new BsonArray(Items(value).Distinct(BsonValueEquality.Instance)));
            }

            return;
        }

        if (current is not BsonArray array)
        {
            throw new CommandError(ErrorCode.BadValue, $"Cannot apply {op} to non-array field '{path}' of type {current.BsonType}");
        }

        switch (op)
        {
            case "$addToSet":
                foreach (var item in Items(value).Where(i => !array.Contains(i, BsonValueEquality.Instance)))
                {
                    array.Add(item.DeepClone());
                }

                break;
            case "$pull":
                var kept = array.Where(e => !Pulls(e, value)).ToList();
                PathWriter.Set(document, path, new BsonArray(kept));
                break;
            default:
                if (array.Count > 0)
                {
                    array.RemoveAt(value.ToInt32() < 0 ? 0 : array.Count - 1);
                }

                break;
        }
    }

    private static IEnumerable<BsonValue> Items(BsonValue value) =>
        value is BsonDocument each && each.TryGetValue("$each", out var list) ? list.AsBsonArray : [value];

    private static bool Pulls(BsonValue element, BsonValue condition)
    {
        if (condition is BsonDocument doc && doc.ElementCount > 0 && doc.GetElement(0).Name.StartsWith('$'))
        {
            return FilterMatcher.Matches(new BsonDocument("v", element), new BsonDocument("v", doc));
        }

        if (condition is BsonDocument fields && element is BsonDocument candidate)
        {
            return FilterMatcher.Matches(candidate, fields);
        }

        return BsonValueEquality.Instance.Equals(element, condition);
    }
}
