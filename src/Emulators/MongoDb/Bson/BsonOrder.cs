using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Bson;

/// <summary>
/// MongoDB's BSON comparison order (MinKey, null, numbers, strings, objects, arrays, binary, ObjectId, bool,
/// date, timestamp, regex, MaxKey): the order of the <c>_id</c> index, of sorts and of range filters.
/// </summary>
internal sealed class BsonOrder : IComparer<BsonValue>
{
    public static readonly BsonOrder Instance = new();

    public static int TypeRank(BsonType type) => type switch
    {
        BsonType.MinKey => 1,
        BsonType.Undefined or BsonType.Null => 2,
        BsonType.Double or BsonType.Int32 or BsonType.Int64 or BsonType.Decimal128 => 3,
        BsonType.Symbol or BsonType.String => 4,
        BsonType.Document => 5,
        BsonType.Array => 6,
        BsonType.Binary => 7,
        BsonType.ObjectId => 8,
        BsonType.Boolean => 9,
        BsonType.DateTime => 10,
        BsonType.Timestamp => 11,
        BsonType.RegularExpression => 12,
        BsonType.JavaScript or BsonType.JavaScriptWithScope => 13,
        BsonType.MaxKey => 100,
        _ => 50,
    };

    public int Compare(BsonValue? x, BsonValue? y)
    {
        // The _id index compares two ids of one type at every step of a lookup: the common id types are ordered here
        // without the rank and numeric dispatch below (an applyOps replay does three lookups per op).
        switch (x)
        {
            case BsonInt32 a when y is BsonInt32 b:
                return a.Value.CompareTo(b.Value);
            case BsonObjectId a when y is BsonObjectId b:
                return a.Value.CompareTo(b.Value);
            case BsonInt64 a when y is BsonInt64 b:
                return a.Value.CompareTo(b.Value);
            case BsonString a when y is BsonString b:
                return string.CompareOrdinal(a.Value, b.Value);
        }

        x ??= BsonNull.Value;
        y ??= BsonNull.Value;
        var rank = TypeRank(x.BsonType).CompareTo(TypeRank(y.BsonType));
        if (rank != 0)
        {
            return rank;
        }

        return x.BsonType switch
        {
            BsonType.Double or BsonType.Int32 or BsonType.Int64 or BsonType.Decimal128 => CompareNumbers(x, y),
            BsonType.String or BsonType.Symbol => string.CompareOrdinal(StringOf(x), StringOf(y)),
            BsonType.Document => CompareDocuments(x.AsBsonDocument, y.AsBsonDocument),
            BsonType.Array => CompareArrays(x.AsBsonArray, y.AsBsonArray),
            BsonType.Binary => CompareBinary(x.AsBsonBinaryData, y.AsBsonBinaryData),
            BsonType.ObjectId => x.AsObjectId.CompareTo(y.AsObjectId),
            BsonType.Boolean => x.AsBoolean.CompareTo(y.AsBoolean),
            BsonType.DateTime => x.AsBsonDateTime.MillisecondsSinceEpoch.CompareTo(y.AsBsonDateTime.MillisecondsSinceEpoch),
            BsonType.Timestamp => x.AsBsonTimestamp.Value.CompareTo(y.AsBsonTimestamp.Value),
            BsonType.RegularExpression => CompareRegex(x.AsBsonRegularExpression, y.AsBsonRegularExpression),
            _ => string.CompareOrdinal(x.ToString(), y.ToString()),
        };
    }

    private static string StringOf(BsonValue value) => value.IsString ? value.AsString : value.AsBsonSymbol.Name;

    private static int CompareNumbers(BsonValue x, BsonValue y)
    {
        if (x.BsonType is BsonType.Int32 or BsonType.Int64 && y.BsonType is BsonType.Int32 or BsonType.Int64)
        {
            return x.ToInt64().CompareTo(y.ToInt64());
        }

        if (x.BsonType == BsonType.Decimal128 || y.BsonType == BsonType.Decimal128)
        {
            try
            {
                return x.ToDecimal().CompareTo(y.ToDecimal());
            }
            catch (OverflowException)
            {
                // Out of System.Decimal's range: doubles order these well enough for an emulator.
            }
        }

        var a = x.ToDouble();
        var b = y.ToDouble();
        // NaN sorts below every other number, as in MongoDB.
        if (double.IsNaN(a) || double.IsNaN(b))
        {
            return double.IsNaN(a).CompareTo(double.IsNaN(b)) * -1;
        }

        return a.CompareTo(b);
    }

    private int CompareDocuments(BsonDocument x, BsonDocument y)
    {
        var count = Math.Min(x.ElementCount, y.ElementCount);
        for (var i = 0; i < count; i++)
        {
            var ex = x.GetElement(i);
            var ey = y.GetElement(i);
            var c = TypeRank(ex.Value.BsonType).CompareTo(TypeRank(ey.Value.BsonType));
            if (c == 0)
            {
                c = string.CompareOrdinal(ex.Name, ey.Name);
            }

            if (c == 0)
            {
                c = Compare(ex.Value, ey.Value);
            }

            if (c != 0)
            {
                return c;
            }
        }

        return x.ElementCount.CompareTo(y.ElementCount);
    }

    private int CompareArrays(BsonArray x, BsonArray y)
    {
        var count = Math.Min(x.Count, y.Count);
        for (var i = 0; i < count; i++)
        {
            var c = Compare(x[i], y[i]);
            if (c != 0)
            {
                return c;
            }
        }

        return x.Count.CompareTo(y.Count);
    }

    private static int CompareBinary(BsonBinaryData x, BsonBinaryData y)
    {
        var c = x.Bytes.Length.CompareTo(y.Bytes.Length);
        if (c == 0)
        {
            c = ((int)x.SubType).CompareTo((int)y.SubType);
        }

        return c != 0 ? c : x.Bytes.AsSpan().SequenceCompareTo(y.Bytes);
    }

    private static int CompareRegex(BsonRegularExpression x, BsonRegularExpression y)
    {
        var c = string.CompareOrdinal(x.Pattern, y.Pattern);
        return c != 0 ? c : string.CompareOrdinal(x.Options, y.Options);
    }
}
