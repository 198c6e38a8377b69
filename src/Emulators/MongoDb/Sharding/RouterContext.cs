using Archiver.Emulators.MongoDb.Commands;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>One command a router is serving: its body, database, connection and the transaction it runs in, if any.</summary>
internal sealed class RouterContext(BsonDocument command, string database, long connectionId, CancellationToken cancellation)
{
    public BsonDocument Command { get; } = command;

    public string Database { get; } = database;

    public long ConnectionId { get; } = connectionId;

    public CancellationToken Cancellation { get; } = cancellation;

    public RouterTransaction? Transaction { get; set; }

    public string Name => Command.GetElement(0).Name;

    /// <summary>The collection named by the command's first field, as in <c>{find: "c"}</c>.</summary>
    public string Collection => Command.GetElement(0).Value is BsonString { Value.Length: > 0 } name
        ? name.Value
        : throw new CommandError(ErrorCode.InvalidNamespace, $"collection name has invalid type {Command.GetElement(0).Value.BsonType}");

    public BsonDocument? DocumentOrNull(string field) => Command.GetValue(field, null) as BsonDocument;

    public int? IntOrNull(string field) => Command.TryGetValue(field, out var value) && value.IsNumeric ? value.ToInt32() : null;

    public bool Flag(string field) => Command.TryGetValue(field, out var value) && value.ToBoolean();
}
