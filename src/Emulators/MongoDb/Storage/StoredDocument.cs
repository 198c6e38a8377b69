using Archiver.Emulators.MongoDb.Bson;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Storage;

/// <summary>A document as a collection keeps it: its <c>_id</c> (the key of the <c>_id</c> index) and its BSON, never changed once stored.</summary>
internal sealed class StoredDocument
{
    public static readonly IComparer<StoredDocument> ByIdOrder = Comparer<StoredDocument>.Create((x, y) => BsonOrder.Instance.Compare(x.Id, y.Id));

    private StoredDocument(BsonValue id, byte[] bson)
    {
        Id = id;
        Bson = bson;
    }

    public BsonValue Id { get; }

    public byte[] Bson { get; }

    public static StoredDocument Of(BsonDocument document)
    {
        // Stored documents and lookup probes have _id first: read it there before searching by name.
        var id = document.ElementCount > 0 && document.GetElement(0) is { Name: "_id" } first ? first.Value : document.GetValue("_id", BsonNull.Value);

        // The caller keeps its document: an _id that is a document or an array is copied, so changing it later changes nothing here.
        return new(id is BsonDocument or BsonArray ? id.DeepClone() : id, BsonEncoder.Encode(document));
    }

    /// <summary>A key to look up or bound a range by: it has no document.</summary>
    public static StoredDocument ProbeFor(BsonValue id) => new(id, []);

    public BsonDocument Decode() => BsonIdentity.Decode(Bson, 0, Bson.Length);
}
