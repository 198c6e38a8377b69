using Archiver.Emulators.MongoDb.Bson;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Durability;

/// <summary>One checksummed record read back from a file: its kind and where its BSON lies in the file's bytes.</summary>
internal readonly record struct Record(RecordKind Kind, byte[] Buffer, int Offset, int Length, int Index, long Position)
{
    public BsonDocument Decode() => BsonIdentity.Decode(Buffer, Offset, Length);
}
