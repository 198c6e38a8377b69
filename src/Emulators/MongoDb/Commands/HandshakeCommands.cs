using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// hello/isMaster, buildInfo, ping, endSessions and the small diagnostics the driver and tools call. The hello
/// reply has no <c>topologyVersion</c>, so the driver polls (every heartbeat) instead of streaming.
/// </summary>
internal static class HandshakeCommands
{
    public const int MaxWireVersion = 21;

    public static void Register(CommandDispatcher dispatcher)
    {
        dispatcher.Add("hello", c => Task.FromResult(Hello(c, legacy: false)));
        dispatcher.Add("isMaster", c => Task.FromResult(Hello(c, legacy: true)));
        dispatcher.Add("buildInfo", _ => Task.FromResult(BuildInfo()));
        dispatcher.Add("ping", _ => Task.FromResult(Ok()));
        dispatcher.Add("endSessions", EndSessions);
        dispatcher.Add("killSessions", _ => Task.FromResult(Ok()));
        dispatcher.Add("getParameter", _ => Task.FromResult(Ok()));
        dispatcher.Add("connectionStatus", c => Task.FromResult(ConnectionStatus(c)));
        dispatcher.Add("whatsmyuri", c => Task.FromResult(new BsonDocument { { "you", $"127.0.0.1:{c.ConnectionId}" }, { "ok", 1.0 } }));
        dispatcher.Add("serverStatus", c => Task.FromResult(new BsonDocument
        {
            { "host", c.State.Hosts[c.Member] },
            { "version", Version },
            { "process", "mongod" },
            { "localTime", DateTime.UtcNow },
            { "ok", 1.0 },
        }));
    }

    public const string Version = "7.0.14";

    public static BsonDocument Ok() => new("ok", 1.0);

    public static BsonDocument Hello(CommandContext context, bool legacy)
    {
        var state = context.State;
        lock (state.Sync)
        {
            var primary = state.IsPrimary(context.Member);
            var reply = new BsonDocument
            {
                { legacy ? "ismaster" : "isWritablePrimary", primary },
                { "hosts", new BsonArray(state.Hosts) },
                { "setName", state.Options.ReplicaSetName },
                { "setVersion", 1 },
                { "secondary", !primary },
            };
            if (state.PrimaryIndex >= 0)
            {
                reply.Add("primary", state.Hosts[state.PrimaryIndex]);
            }

            reply.Add("me", state.Hosts[context.Member]);
            if (primary)
            {
                // electionId grows with the term, so the driver never takes a newer primary for a stale one.
                reply.Add("electionId", ObjectId.Parse($"7fffffff{state.Term:x16}"));
            }

            var last = state.Applied(context.Member);
            var majority = state.MajoritySeenBy(context.Member);
            reply.Add("lastWrite", new BsonDocument
            {
                { "opTime", last.ToDocument() },
                { "lastWriteDate", new BsonDateTime(last.Wall) },
                { "majorityOpTime", majority.ToDocument() },
                { "majorityWriteDate", new BsonDateTime(majority.Wall) },
            });
            reply.AddRange(Limits(context.ConnectionId));
            if (context.Flag("helloOk"))
            {
                reply.Add("helloOk", true);
            }

            // A driver with credentials asks which mechanisms its user has ("db.user") and picks SCRAM-SHA-256 if listed.
            if (context.Command.TryGetValue("saslSupportedMechs", out var asked) && asked is BsonString { Value: var qualified }
                && qualified.IndexOf('.', StringComparison.Ordinal) is > 0 and var dot
                && state.Users.Mechanisms(qualified[..dot], qualified[(dot + 1)..]) is { } mechanisms)
            {
                reply.Add("saslSupportedMechs", new BsonArray(mechanisms));
            }

            reply.Add("ok", 1.0);
            return reply;
        }
    }

    /// <summary>The fields of a hello reply every server kind gives alike (a replica-set member and a router): sizes, sessions, wire versions.</summary>
    public static BsonDocument Limits(long connectionId) => new()
    {
        { "maxBsonObjectSize", 16 * 1024 * 1024 },
        { "maxMessageSizeBytes", 48_000_000 },
        { "maxWriteBatchSize", 100_000 },
        { "localTime", new BsonDateTime(DateTime.UtcNow) },
        { "logicalSessionTimeoutMinutes", 30 },
        { "connectionId", (int)connectionId },
        { "minWireVersion", 0 },
        { "maxWireVersion", MaxWireVersion },
        { "readOnly", false },
    };

    private static BsonDocument ConnectionStatus(CommandContext context)
    {
        var user = context.Connection?.User;
        return new BsonDocument
        {
            {
                "authInfo", new BsonDocument
                {
                    { "authenticatedUsers", user is null ? new BsonArray() : new BsonArray { new BsonDocument { { "user", user }, { "db", context.Connection!.UserDatabase } } } },
                    { "authenticatedUserRoles", user is null ? new BsonArray() : new BsonArray { new BsonDocument { { "role", "root" }, { "db", "admin" } } } },
                }
            },
            { "ok", 1.0 },
        };
    }

    private static BsonDocument BuildInfo() => new()
    {
        { "version", Version },
        { "gitVersion", "archiver-emulator" },
        { "versionArray", new BsonArray { 7, 0, 14, 0 } },
        { "bits", 64 },
        { "debug", false },
        { "maxBsonObjectSize", 16 * 1024 * 1024 },
        { "storageEngines", new BsonArray { "inMemory" } },
        { "archiverEmulator", true },
        { "ok", 1.0 },
    };

    private static Task<BsonDocument> EndSessions(CommandContext context)
    {
        if (context.Command.TryGetValue("endSessions", out var sessions) && sessions is BsonArray list)
        {
            lock (context.State.Sync)
            {
                foreach (var lsid in list.OfType<BsonDocument>())
                {
                    context.State.Sessions.End(lsid);
                }
            }
        }

        return Task.FromResult(Ok());
    }
}
