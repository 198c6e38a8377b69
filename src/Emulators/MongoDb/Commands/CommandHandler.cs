using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

internal delegate Task<BsonDocument> CommandHandler(CommandContext context);
