using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Query;

/// <summary>$inc and $mul keep MongoDB's numeric types: int stays int unless it overflows into long.</summary>
internal static class Arithmetic
{
    public static BsonValue Add(BsonValue a, BsonValue b) => Combine(a, b, (x, y) => x + y, (x, y) => x + y, (x, y) => x + y);

    public static BsonValue Multiply(BsonValue a, BsonValue b) => Combine(a, b, (x, y) => x * y, (x, y) => x * y, (x, y) => x * y);

    private static BsonValue Combine(BsonValue a, BsonValue b, Func<Int128, Int128, Int128> integral, Func<double, double, double> real, Func<decimal, decimal, decimal> dec)
    {
        if (a.BsonType == BsonType.Decimal128 || b.BsonType == BsonType.Decimal128)
        {
            return new BsonDecimal128(dec(a.ToDecimal(), b.ToDecimal()));
        }

        if (a.BsonType == BsonType.Double || b.BsonType == BsonType.Double)
        {
            return new BsonDouble(real(a.ToDouble(), b.ToDouble()));
        }

        var result = integral(a.ToInt64(), b.ToInt64());
        if (result < long.MinValue || result > long.MaxValue)
        {
            return new BsonDouble(real(a.ToDouble(), b.ToDouble()));
        }

        if (a.BsonType == BsonType.Int32 && b.BsonType == BsonType.Int32 && result >= int.MinValue && result <= int.MaxValue)
        {
            return new BsonInt32((int)result);
        }

        return new BsonInt64((long)result);
    }
}
