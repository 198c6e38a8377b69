using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>What one update statement did; the images serve findAndModify.</summary>
internal sealed record UpdateResult(int Matched, int Modified, BsonValue? UpsertedId, BsonDocument? Pre, BsonDocument? Post);
