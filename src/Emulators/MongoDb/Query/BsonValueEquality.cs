using Archiver.Emulators.MongoDb.Bson;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Query;

/// <summary>Equality as the matcher sees it: same type class and equal in BSON order (so 1 equals 1.0).</summary>
internal sealed class BsonValueEquality : IEqualityComparer<BsonValue>
{
    public static readonly BsonValueEquality Instance = new();

    public bool Equals(BsonValue? x, BsonValue? y) =>
        x is not null && y is not null
        && BsonOrder.TypeRank(x.BsonType) == BsonOrder.TypeRank(y.BsonType)
        && BsonOrder.Instance.Compare(x, y) == 0;

    // Equal values may differ in type (1 and 1.0), so only the type class can feed the hash.
    public int GetHashCode(BsonValue obj) => BsonOrder.TypeRank(obj.BsonType);
}
