using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>replSetGetStatus (members and optimes, including lastCommittedOpTime), replSetResizeOplog, appendOplogNote, and collStats of the oplog.</summary>
internal static class ReplicationCommands
{
    public static void Register(CommandDispatcher dispatcher)
    {
        dispatcher.Add("replSetGetStatus", c => Task.FromResult(Status(c)));
        dispatcher.Add("replSetResizeOplog", c => Task.FromResult(Resize(c)));
        dispatcher.Add("collStats", c => Task.FromResult(OplogStats(c)));
        dispatcher.Add("appendOplogNote", c => Task.FromResult(AppendNote(c)));
    }

    /// <summary>
    /// <c>{appendOplogNote: 1, data: {...}}</c> (src/mongo/db/commands/oplog_note.cpp): a no-op entry <c>{op: "n", ns: "",
    /// o: data}</c>, on admin only. Sent with a <c>$clusterTime</c>, it lands after that time: how a backup tool makes an
    /// idle shard's oplog reach a cluster-wide point.
    /// </summary>
    private static BsonDocument AppendNote(CommandContext context)
    {
        if (context.Database != "admin")
        {
            throw new CommandError(ErrorCode.Unauthorized, "appendOplogNote may only be run against the admin database.");
        }

        if (context.Command.GetValue("data", null) is not BsonDocument data)
        {
            throw new CommandError(ErrorCode.BadValue, "'data' must be an object");
        }

        lock (context.State.Sync)
        {
            context.State.Append("n", string.Empty, null, (BsonDocument)data.DeepClone(), null);
        }

        return HandshakeCommands.Ok();
    }

    /// <summary>
    /// <c>collStats</c> as MongoDB answers it for <c>local.oplog.rs</c> (what <c>rs.printReplicationInfo()</c> reads):
    /// bytes used (<c>size</c>), the cap (<c>maxSize</c>), entries. Only the oplog: other collections are refused.
    /// </summary>
    private static BsonDocument OplogStats(CommandContext context)
    {
        if (context.Database != "local" || context.Command[0] is not BsonString { Value: "oplog.rs" })
        {
            throw new CommandError(ErrorCode.IllegalOperation, "the emulator answers collStats for local.oplog.rs only");
        }

        var state = context.State;
        lock (state.Sync)
        {
            return new BsonDocument
            {
                { "ns", "local.oplog.rs" },
                { "size", state.Oplog.SizeBytes },
                { "count", state.Oplog.Count },
                { "capped", true },
                { "maxSize", state.Oplog.MaxBytes },
                { "ok", 1.0 },
            };
        }
    }

    private static BsonDocument Status(CommandContext context)
    {
        var state = context.State;
        lock (state.Sync)
        {
            var last = state.Applied(context.Member);
            var majority = state.MajoritySeenBy(context.Member);
            var members = new BsonArray();
            for (var i = 0; i < state.Hosts.Count; i++)
            {
                var primary = state.IsPrimary(i);
                // A stopped member is what mongod's heartbeats make of an unreachable one: health 0, state 8.
                var up = state.MemberUp[i];
                var applied = state.Applied(i);
                members.Add(new BsonDocument
                {
                    { "_id", i },
                    { "name", state.Hosts[i] },
                    { "health", up ? 1.0 : 0.0 },
                    { "state", !up ? 8 : primary ? 1 : 2 },
                    { "stateStr", !up ? "(not reachable/healthy)" : primary ? "PRIMARY" : "SECONDARY" },
                    { "optime", applied.ToDocument() },
                    { "optimeDate", new BsonDateTime(applied.Wall) },
                    { "self", i == context.Member },
                });
            }

            return new BsonDocument
            {
                { "set", state.Options.ReplicaSetName },
                { "date", new BsonDateTime(DateTime.UtcNow) },
                { "myState", state.IsPrimary(context.Member) ? 1 : 2 },
                { "term", state.Term },
                { "heartbeatIntervalMillis", 2000L },
                {
                    "optimes", new BsonDocument
                    {
                        { "lastCommittedOpTime", majority.ToDocument() },
                        { "lastCommittedWallTime", new BsonDateTime(majority.Wall) },
                        { "readConcernMajorityOpTime", majority.ToDocument() },
                        { "appliedOpTime", last.ToDocument() },
                        { "durableOpTime", last.ToDocument() },
                        { "lastAppliedWallTime", new BsonDateTime(last.Wall) },
                        { "lastDurableWallTime", new BsonDateTime(last.Wall) },
                    }
                },
                { "members", members },
                { "ok", 1.0 },
            };
        }
    }

    /// <summary>Takes <c>size</c> in MB like MongoDB, without its 990 MB minimum (tests want small oplogs).</summary>
    private static BsonDocument Resize(CommandContext context)
    {
        if (context.Command.TryGetValue("size", out var size) && size.IsNumeric)
        {
            context.State.ResizeOplog((long)(size.ToDouble() * 1024 * 1024));
        }

        return HandshakeCommands.Ok();
    }
}
