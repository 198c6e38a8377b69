using System.Collections.Concurrent;
using Archiver.Emulators.MongoDb.Auth;
using Archiver.Emulators.MongoDb.Commands;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>
/// Authentication on the router, as mongos does it: SCRAM (<c>saslStart</c>, <c>saslContinue</c>, <c>logout</c>)
/// against the users the config server knows (mongos keeps no users of its own: it reads them from the config
/// server), and, when the config server was started with users (a cluster whose members run with <c>--auth</c> or a
/// key file, as KubeDB's do), nothing but the handshake before a connection has authenticated. A cluster whose config
/// server has no users given at start (<see cref="ShardedMongoEmulator"/>'s) needs no authentication, as before.
/// </summary>
internal sealed partial class Router
{
    private readonly ConcurrentDictionary<long, RouterLogin> _logins = new();

    /// <summary>Forgets a closed connection's authentication, as mongos forgets it with the connection.</summary>
    public void Disconnected(long connectionId) => _logins.TryRemove(connectionId, out _);

    private UserDirectory Users => _cluster.Config.State.Users;

    private void RegisterAuth()
    {
        Add("saslStart", c =>
        {
            var login = _logins.GetOrAdd(c.ConnectionId, _ => new RouterLogin());
            login.Conversation = null;
            var mechanism = c.Command.GetValue("mechanism", "").AsString;
            var skip = c.DocumentOrNull("options") is { } options && options.GetValue("skipEmptyExchange", false).ToBoolean();
            login.Conversation = ScramConversation.Start(mechanism, c.Database, Payload(c), Users, skip);
            return Task.FromResult(SaslReply(done: false, login.Conversation.ServerFirst));
        });
        Add("saslContinue", c =>
        {
            var login = _logins.GetOrAdd(c.ConnectionId, _ => new RouterLogin());
            var conversation = login.Conversation ?? throw new CommandError(ErrorCode.ProtocolError, "No SASL session state found");
            if (conversation.Proven)
            {
                // The last, empty round of a client that did not ask to skip it.
                login.Conversation = null;
                return Task.FromResult(SaslReply(done: true, ""));
            }

            try
            {
                var serverFinal = conversation.Finish(Payload(c));
                login.User = conversation.User;
                if (conversation.SkipEmptyExchange) login.Conversation = null;
                return Task.FromResult(SaslReply(done: conversation.SkipEmptyExchange, serverFinal));
            }
            catch (CommandError)
            {
                login.Conversation = null;
                throw;
            }
        });
        Add("logout", c =>
        {
            _logins.TryRemove(c.ConnectionId, out _);
            return Ok();
        });
    }

    /// <summary>Refuses a command before authentication on a cluster that requires it (mongod's and mongos's Unauthorized, 13).</summary>
    private void CheckAuthenticated(string name, long connectionId)
    {
        if (Users.Enabled && _logins.GetValueOrDefault(connectionId)?.User is null && !AuthCommands.WithoutAuthentication.Contains(name))
        {
            throw new CommandError(ErrorCode.Unauthorized, $"command {name} requires authentication");
        }
    }

    /// <summary>What hello adds for a driver with credentials asking which mechanisms its user (<c>db.user</c>) has.</summary>
    private void AddMechanisms(RouterContext context, BsonDocument reply)
    {
        if (context.Command.TryGetValue("saslSupportedMechs", out var asked) && asked is BsonString { Value: var qualified }
            && qualified.IndexOf('.', StringComparison.Ordinal) is > 0 and var dot
            && Users.Mechanisms(qualified[..dot], qualified[(dot + 1)..]) is { } mechanisms)
        {
            reply.Add("saslSupportedMechs", new BsonArray(mechanisms));
        }
    }

    private static byte[] Payload(RouterContext context) => AuthCommands.Payload(context.Command);

    private static BsonDocument SaslReply(bool done, string payload) => AuthCommands.Reply(done, payload);

    /// <summary>One connection's authentication: the SCRAM exchange under way, and the user once proven.</summary>
    private sealed class RouterLogin
    {
        public ScramConversation? Conversation { get; set; }

        public string? User { get; set; }
    }
}
