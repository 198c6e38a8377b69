using Archiver.Emulators.MongoDb.Auth;

namespace Archiver.Emulators.MongoDb.Server;

/// <summary>What a member keeps per client connection: who authenticated on it, and a SCRAM conversation under way.</summary>
internal sealed class ClientConnection(long id)
{
    public long Id { get; } = id;

    /// <summary>The user authenticated on this connection (mongod authenticates connections, not sessions), or null.</summary>
    public string? User { get; set; }

    /// <summary>The database <see cref="User"/> is defined on.</summary>
    public string UserDatabase { get; set; } = "admin";

    public ScramConversation? Conversation { get; set; }
}
