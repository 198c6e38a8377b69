using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>replSetGetStatus (members and optimes, including lastCommittedOpTime), replSetResizeOplog, and collStats of the oplog.</summary>
internal static class ReplicationCommands
{
    public static void Register(CommandDispatcher dispatcher)
    {
        dispatcher.Add("replSetGetStatus", c => Task.FromResult(Status(c)));
        dispatcher.Add("replSetResizeOplog", c => Task.FromResult(Resize(c)));
        dispatcher.Add("collStats", c => Task.FromResult(OplogStats(c)));
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
