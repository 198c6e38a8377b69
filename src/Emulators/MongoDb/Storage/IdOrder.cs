using Archiver.Emulators.MongoDb.Bson;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Storage;

/// <summary>Orders documents by <c>_id</c> in BSON order: the order of the <c>_id</c> index.</summary>
internal sealed class IdOrder : IComparer<BsonDocument>
{
    public static readonly IdOrder Instance = new();

    public int Compare(BsonDocument? x, BsonDocument? y) => BsonOrder.Instance.Compare(Id(x), Id(y));

    // Stored documents and lookup probes have _id first: read it there before searching by name.
    private static BsonValue Id(BsonDocument? document) =>
        document is null ? BsonNull.Value
        : document.ElementCount > 0 && document.GetElement(0) is { Name: "_id" } first ? first.Value
        : document.GetValue("_id", BsonNull.Value);
}
