using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>One command being served: its body (kind-1 sections folded in as arrays), target database and member.</summary>
internal sealed class CommandContext
{
    public required BsonDocument Command { get; init; }

    public required string Database { get; init; }

    public required ReplicaSetState State { get; init; }

    public required int Member { get; init; }

    public required long ConnectionId { get; init; }

    /// <summary>The client connection the command came on: who is authenticated on it.</summary>
    public Server.ClientConnection? Connection { get; init; }

    public required CancellationToken Cancellation { get; init; }

    /// <summary>Where reads and writes go: the shared data, or an open transaction's private view of it.</summary>
    public DataView View { get; set; } = null!;

    public string Name => Command.GetElement(0).Name;

    /// <summary>The collection named by the command's first field, as in <c>{find: "c"}</c>.</summary>
    public string Collection
    {
        get
        {
            var value = Command.GetElement(0).Value;
            if (!value.IsString || value.AsString.Length == 0)
            {
                throw new CommandError(ErrorCode.InvalidNamespace, $"collection name has invalid type {value.BsonType}");
            }

            return value.AsString;
        }
    }

    public BsonDocument? DocumentOrNull(string field) =>
        Command.TryGetValue(field, out var value) && value is BsonDocument doc ? doc : null;

    public int? IntOrNull(string field) =>
        Command.TryGetValue(field, out var value) && value.IsNumeric ? value.ToInt32() : null;

    public bool Flag(string field) => Command.TryGetValue(field, out var value) && value.ToBoolean();
}
