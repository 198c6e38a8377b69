using System.Security.Cryptography;
using System.Text;
using Archiver.Emulators.MongoDb.Commands;

namespace Archiver.Emulators.MongoDb.Auth;

/// <summary>
/// The server side of one SCRAM exchange (RFC 5802; SHA-256 per RFC 7677), as mongod runs it for <c>saslStart</c> and
/// <c>saslContinue</c>: client-first (<c>n,,n=user,r=nonce</c>) → server-first (<c>r=nonce+ours,s=salt,i=n</c>) →
/// client-final (<c>c=biws,r=…,p=proof</c>) → server-final (<c>v=signature</c>). SCRAM-SHA-1 hashes the password as
/// MongoDB does (hex MD5 of <c>user:mongo:password</c>, the "digested" password) before salting it. Channel binding
/// and SASLprep of non-ASCII passwords are not done.
/// </summary>
internal sealed class ScramConversation
{
    private readonly ScramMechanism _mechanism;
    private readonly ScramKeys _keys;
    private readonly string _clientFirstBare;
    private readonly string _nonce;

    private ScramConversation(ScramMechanism mechanism, string user, ScramKeys keys, string clientFirstBare, string nonce, bool skipEmptyExchange)
    {
        _mechanism = mechanism;
        User = user;
        _keys = keys;
        _clientFirstBare = clientFirstBare;
        _nonce = nonce;
        SkipEmptyExchange = skipEmptyExchange;
        ServerFirst = $"r={nonce},s={Convert.ToBase64String(keys.Salt)},i={keys.Iterations}";
    }

    public string User { get; }

    /// <summary>The database the user is defined on (the client's <c>authSource</c>).</summary>
    public required string Database { get; init; }

    public string ServerFirst { get; }

    /// <summary>Whether the client asked to skip the last, empty round (drivers send <c>options.skipEmptyExchange</c>).</summary>
    public bool SkipEmptyExchange { get; }

    /// <summary>True once the client's proof was checked: what is left is at most the empty round.</summary>
    public bool Proven { get; private set; }

    public static ScramConversation Start(string mechanismName, string database, byte[] clientFirst, UserDirectory users, bool skipEmptyExchange)
    {
        var mechanism = ScramMechanism.Named(mechanismName)
            ?? throw new CommandError(ErrorCode.MechanismUnavailable, $"Received authentication for mechanism {mechanismName} which is not enabled");
        var text = Encoding.UTF8.GetString(clientFirst);
        // gs2 header: "n,," (no channel binding) or "y,," (client could but thinks the server cannot); no authzid.
        if (!(text.StartsWith("n,,", StringComparison.Ordinal) || text.StartsWith("y,,", StringComparison.Ordinal)))
        {
            throw new CommandError(ErrorCode.BadValue, "SCRAM: channel binding and authorization identities are not supported");
        }

        var bare = text[3..];
        var attributes = Attributes(bare);
        if (!attributes.TryGetValue('n', out var escaped) || !attributes.TryGetValue('r', out var clientNonce) || clientNonce.Length == 0)
        {
            throw new CommandError(ErrorCode.BadValue, "SCRAM: client-first message lacks n= or r=");
        }

        var user = escaped.Replace("=2C", ",", StringComparison.Ordinal).Replace("=3D", "=", StringComparison.Ordinal);
        // An unknown user fails as a wrong password does, without saying which (mongod's "Authentication failed.").
        var keys = users.Keys(database, user, mechanism) ?? throw Failed();
        var nonce = clientNonce + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        return new ScramConversation(mechanism, user, keys, bare, nonce, skipEmptyExchange) { Database = database };
    }

    /// <summary>Checks the client's proof; returns the server-final message proving the server knows the password too.</summary>
    public string Finish(byte[] clientFinal)
    {
        var text = Encoding.UTF8.GetString(clientFinal);
        var proofAt = text.LastIndexOf(",p=", StringComparison.Ordinal);
        if (proofAt < 0) throw Failed();
        var withoutProof = text[..proofAt];
        var attributes = Attributes(withoutProof);
        if (attributes.GetValueOrDefault('r') != _nonce) throw Failed();
        byte[] proof;
        try
        {
            proof = Convert.FromBase64String(text[(proofAt + 3)..]);
        }
        catch (FormatException)
        {
            throw Failed();
        }

        var authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{ServerFirst},{withoutProof}");
        var signature = _mechanism.Hmac(_keys.StoredKey, authMessage);
        if (proof.Length != signature.Length) throw Failed();
        var clientKey = new byte[proof.Length];
        for (var i = 0; i < proof.Length; i++) clientKey[i] = (byte)(proof[i] ^ signature[i]);
        if (!CryptographicOperations.FixedTimeEquals(_mechanism.Hash(clientKey), _keys.StoredKey)) throw Failed();
        Proven = true;
        return $"v={Convert.ToBase64String(_mechanism.Hmac(_keys.ServerKey, authMessage))}";
    }

    public static CommandError Failed() => new(ErrorCode.AuthenticationFailed, "Authentication failed.");

    private static Dictionary<char, string> Attributes(string message)
    {
        var attributes = new Dictionary<char, string>();
        foreach (var part in message.Split(','))
        {
            if (part.Length >= 2 && part[1] == '=') attributes[part[0]] = part[2..];
        }

        return attributes;
    }
}
