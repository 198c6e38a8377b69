using Archiver.Emulators.MongoDb.Bson;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Storage;

/// <summary>Orders documents by <c>_id</c> in BSON order: the order of the <c>_id</c> index.</summary>
internal sealed class IdOrder : IComparer<BsonDocument>
{
    public static readonly IdOrder Instance = new();

    public int Compare(BsonDocument? x, BsonDocument? y) =>
        BsonOrder.Instance.Compare(x?.GetValue("_id", BsonNull.Value), y?.GetValue("_id", BsonNull.Value));
}
