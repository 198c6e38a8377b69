using Archiver.Emulators.MongoDb.Bson;
using Archiver.Emulators.MongoDb.Commands;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Query;

/// <summary>
/// Query filters: equality (on dotted paths, matching array elements), <c>$eq $ne $gt $gte $lt $lte $in $nin
/// $exists $regex</c> (also a regex as the value), and <c>$and $or $nor</c>. Range operators compare within one BSON type class only, as MongoDB's
/// type bracketing does.
/// </summary>
internal static class FilterMatcher
{
    public static bool Matches(BsonDocument document, BsonDocument? filter)
    {
        if (filter is null)
        {
            return true;
        }

        foreach (var element in filter)
        {
            if (!MatchesElement(document, element))
            {
                return false;
            }
        }

        return true;
    }

    private static bool MatchesElement(BsonDocument document, BsonElement element)
    {
        switch (element.Name)
        {
            case "$and":
                return element.Value.AsBsonArray.All(f => Matches(document, f.AsBsonDocument));
            case "$or":
                return element.Value.AsBsonArray.Any(f => Matches(document, f.AsBsonDocument));
            case "$nor":
                return !element.Value.AsBsonArray.Any(f => Matches(document, f.AsBsonDocument));
            case "$comment":
                return true;
        }

        if (element.Name.StartsWith('$'))
        {
            throw new CommandError(ErrorCode.BadValue, $"unknown top level operator: {element.Name}");
        }

        var values = DocumentPath.Values(document, element.Name);
        if (element.Value is BsonDocument condition && condition.ElementCount > 0 && condition.GetElement(0).Name.StartsWith('$'))
        {
            if (condition.TryGetValue("$regex", out var pattern) && condition.TryGetValue("$options", out var options))
            {
                var regex = new BsonRegularExpression(pattern is BsonRegularExpression r ? r.Pattern : pattern.AsString, options.AsString);
                return MatchesRegex(values, regex) && condition.Where(c => c.Name is not ("$regex" or "$options")).All(op => MatchesOperator(values, op));
            }

            return condition.All(op => MatchesOperator(values, op));
        }

        return EqualsAny(values, element.Value);
    }

    private static bool MatchesOperator(List<BsonValue> values, BsonElement op) => op.Name switch
    {
        "$eq" => EqualsAny(values, op.Value),
        "$ne" => !EqualsAny(values, op.Value),
        "$gt" => AnyCompares(values, op.Value, c => c > 0),
        "$gte" => AnyCompares(values, op.Value, c => c >= 0),
        "$lt" => AnyCompares(values, op.Value, c => c < 0),
        "$lte" => AnyCompares(values, op.Value, c => c <= 0),
        "$in" => op.Value.AsBsonArray.Any(v => EqualsAny(values, v)),
        "$nin" => !op.Value.AsBsonArray.Any(v => EqualsAny(values, v)),
        "$exists" => (values.Count > 0) == op.Value.ToBoolean(),
        "$regex" => MatchesRegex(values, op.Value),
        _ => throw new CommandError(ErrorCode.BadValue, $"unknown operator: {op.Name} (the emulator supports $eq $ne $gt $gte $lt $lte $in $nin $exists)"),
    };

    private static bool MatchesRegex(List<BsonValue> values, BsonValue pattern) => values.Any(v => MatchesRegex(v, pattern));

    private static bool MatchesRegex(BsonValue value, BsonValue pattern)
    {
        var regex = pattern as BsonRegularExpression ?? new BsonRegularExpression(pattern.AsString);
        return value switch
        {
            BsonString text => regex.ToRegex().IsMatch(text.Value),
            BsonArray array => array.Any(e => MatchesRegex(e, regex)),
            _ => false,
        };
    }

    private static bool EqualsAny(List<BsonValue> values, BsonValue expected)
    {
        if (expected is BsonRegularExpression regex)
        {
            return values.Any(v => v is BsonRegularExpression same ? same.Equals(regex) : MatchesRegex(v, regex));
        }

        if (values.Count == 0)
        {
            // A missing field equals null, as in MongoDB.
            return expected.IsBsonNull;
        }

        foreach (var value in values)
        {
            if (SameValue(value, expected))
            {
                return true;
            }

            if (value is BsonArray array && expected is not BsonArray && array.Any(e => SameValue(e, expected)))
            {
                return true;
            }
        }

        return false;
    }

    private static bool SameValue(BsonValue a, BsonValue b) =>
        BsonOrder.TypeRank(a.BsonType) == BsonOrder.TypeRank(b.BsonType) && BsonOrder.Instance.Compare(a, b) == 0;

    private static bool AnyCompares(List<BsonValue> values, BsonValue bound, Func<int, bool> accept)
    {
        foreach (var value in values)
        {
            var candidates = value is BsonArray array && bound is not BsonArray ? array.ToList() : [value];
            foreach (var candidate in candidates)
            {
                if (BsonOrder.TypeRank(candidate.BsonType) == BsonOrder.TypeRank(bound.BsonType)
                    && accept(BsonOrder.Instance.Compare(candidate, bound)))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
