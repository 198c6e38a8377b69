using Archiver.Emulators.MongoDb.Auth;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// <c>saslStart</c>, <c>saslContinue</c> and <c>logout</c>: SCRAM-SHA-1 and SCRAM-SHA-256 against the users of
/// <see cref="MongoEmulatorOptions.Users"/> and of <c>admin.system.users</c> (on the database the user is defined on), authenticating the connection (as mongod does), in the shape of mongod's
/// replies (<c>conversationId</c>, <c>done</c>, <c>payload</c>). One conversation per connection at a time.
/// </summary>
internal static class AuthCommands
{
    /// <summary>
    /// Commands mongod runs before authentication (their <c>requiresAuth()</c> is false in mongodb/mongo
    /// <c>src/mongo/db/commands</c>): the handshake, the authentication commands, ping and buildInfo.
    /// </summary>
    public static readonly IReadOnlySet<string> WithoutAuthentication = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "hello", "isMaster", "ismaster", "buildInfo", "ping", "saslStart", "saslContinue", "authenticate", "logout",
        "connectionStatus", "whatsmyuri", "endSessions", "getnonce",
    };

    public static void Register(CommandDispatcher dispatcher)
    {
        dispatcher.Add("saslStart", c => Task.FromResult(Start(c)));
        dispatcher.Add("saslContinue", c => Task.FromResult(Continue(c)));
        dispatcher.Add("logout", c =>
        {
            c.Connection!.User = null;
            return Task.FromResult(HandshakeCommands.Ok());
        });
    }

    private static BsonDocument Start(CommandContext context)
    {
        var connection = context.Connection!;
        connection.Conversation = null;
        var mechanism = context.Command.GetValue("mechanism", "").AsString;
        var skip = context.DocumentOrNull("options") is { } options && options.GetValue("skipEmptyExchange", false).ToBoolean();
        var conversation = ScramConversation.Start(mechanism, context.Database, Payload(context), context.State.Users, skip);
        connection.Conversation = conversation;
        return Reply(done: false, conversation.ServerFirst);
    }

    private static BsonDocument Continue(CommandContext context)
    {
        var connection = context.Connection!;
        var conversation = connection.Conversation ?? throw new CommandError(ErrorCode.ProtocolError, "No SASL session state found");
        if (conversation.Proven)
        {
            // The last, empty round of a client that did not ask to skip it.
            connection.Conversation = null;
            return Reply(done: true, "");
        }

        try
        {
            var serverFinal = conversation.Finish(Payload(context));
            connection.User = conversation.User;
            connection.UserDatabase = conversation.Database;
            if (conversation.SkipEmptyExchange) connection.Conversation = null;
            return Reply(done: conversation.SkipEmptyExchange, serverFinal);
        }
        catch (CommandError)
        {
            connection.Conversation = null;
            throw;
        }
    }

    private static byte[] Payload(CommandContext context) => Payload(context.Command);

    /// <summary>A SASL command's payload, binary or base64 text, as drivers send it; shared with the router (Router.Auth.cs).</summary>
    internal static byte[] Payload(BsonDocument command) => command.TryGetValue("payload", out var payload) switch
    {
        true when payload is BsonBinaryData binary => binary.Bytes,
        true when payload is BsonString text => Convert.FromBase64String(text.Value),
        _ => throw new CommandError(ErrorCode.BadValue, "SASL payload is missing"),
    };

    /// <summary>A SASL step's answer, as mongod and mongos give it (one conversation per connection).</summary>
    internal static BsonDocument Reply(bool done, string payload) => new()
    {
        { "conversationId", 1 },
        { "done", done },
        { "payload", new BsonBinaryData(System.Text.Encoding.UTF8.GetBytes(payload)) },
        { "ok", 1.0 },
    };
}
