using Archiver.Emulators.MongoDb.Oplog;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>The command operations (<c>op:'c'</c>) applyOps accepts, and the ones it refuses in ApplyOps mode.</summary>
internal static class ApplyOpsCommandOps
{
    public static void Run(ReplicaSetState state, OplogApplier applier, BsonDocument op, BsonDocument o)
    {
        if (o.ElementCount == 0)
        {
            throw new CommandError(ErrorCode.FailedToParse, "empty command op");
        }

        var (database, _) = Names.Split(op["ns"].AsString);
        var name = o.GetElement(0).Name;
        switch (name)
        {
            case "create":
                Create(state, op, o, database);
                break;
            case "drop":
                var dropped = applier.Resolve(WithNs(op, database, o["drop"].AsString), required: false);
                if (dropped is not null)
                {
                    state.DropCollection(dropped);
                }

                break;
            case "dropDatabase":
                state.DropDatabase(database);
                break;
            case "dropIndexes" or "deleteIndexes" or "dropIndex":
                var target = applier.Resolve(WithNs(op, database, o[0].AsString), required: true)!;
                var index = o.GetValue("index", BsonNull.Value);
                target.Indexes.RemoveAll(i => i["name"] == index && index != "_id_");
                state.Append("c", op["ns"].AsString, target.Uuid, (BsonDocument)o.DeepClone(), op.GetValue("o2", BsonNull.Value) as BsonDocument);
                break;
            case "collMod":
                var modified = applier.Resolve(WithNs(op, database, o[0].AsString), required: true)!;
                state.Append("c", op["ns"].AsString, modified.Uuid, (BsonDocument)o.DeepClone(), null);
                break;
            case "renameCollection":
                Rename(state, o);
                break;
            case "createIndexes" or "startIndexBuild" or "commitIndexBuild" or "abortIndexBuild":
                throw new CommandError(ErrorCode.CommandNotSupported, $"Applying {name} is not supported in applyOps; build indexes with the createIndexes command");
            case "commitTransaction":
                throw new CommandError(ErrorCode.ApplyOpsCommitTransaction, "commitTransaction is only used internally by secondaries.");
            case "abortTransaction":
                throw new CommandError(ErrorCode.ApplyOpsAbortTransaction, "abortTransaction is only used internally by secondaries.");
            default:
                throw new CommandError(ErrorCode.CommandNotSupported, $"applyOps command '{name}' is not supported by the MongoDB emulator");
        }
    }

    private static void Create(ReplicaSetState state, BsonDocument op, BsonDocument o, string database)
    {
        var name = o["create"].AsString;
        Names.CheckCollection(database, name);
        if (state.Storage.Find(database, name) is not null)
        {
            throw new CommandError(ErrorCode.NamespaceExists, $"Collection {database}.{name} already exists.");
        }

        var options = new BsonDocument(o.Where(e => e.Name is not ("create" or "idIndex")));
        Guid? uuid = op.TryGetValue("ui", out var ui) && ui is BsonBinaryData binary ? binary.ToGuid(GuidRepresentation.Standard) : null;
        if (uuid is { } wanted && state.Storage.FindByUuid(wanted) is not null)
        {
            throw new CommandError(ErrorCode.NamespaceExists, $"a collection with UUID {wanted} already exists");
        }

        state.CreateCollection(database, name, options, uuid);
    }

    private static void Rename(ReplicaSetState state, BsonDocument o)
    {
        var (fromDb, fromName) = Names.Split(o["renameCollection"].AsString);
        var (toDb, toName) = Names.Split(o["to"].AsString);
        if (fromDb != toDb)
        {
            throw new CommandError(ErrorCode.CommandNotSupported, "renameCollection across databases is not supported by the MongoDB emulator");
        }

        var source = state.Storage.Find(fromDb, fromName)
            ?? throw new CommandError(ErrorCode.NamespaceNotFound, $"Source collection {fromDb}.{fromName} does not exist");
        if (state.Storage.Find(toDb, toName) is { } existing)
        {
            if (!o.GetValue("dropTarget", false).ToBoolean())
            {
                throw new CommandError(ErrorCode.NamespaceExists, $"Target collection {toDb}.{toName} exists");
            }

            state.DropCollection(existing);
        }

        state.Storage.Rename(source, toName);
        state.Append("c", $"{fromDb}.$cmd", source.Uuid, (BsonDocument)o.DeepClone(), null);
    }

    private static BsonDocument WithNs(BsonDocument op, string database, string collection)
    {
        var copy = new BsonDocument { { "ns", $"{database}.{collection}" } };
        if (op.TryGetValue("ui", out var ui))
        {
            copy.Add("ui", ui);
        }

        return copy;
    }
}
