using System.Collections.Concurrent;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Auth;

/// <summary>
/// Who can authenticate, and with which SCRAM keys: the users given at start (<see cref="MongoEmulatorOptions.Users"/>,
/// users of <c>admin</c> with the <c>root</c> role, as KubeDB's auth secret's user is; their keys derived once per
/// mechanism), and every user made by <c>createUser</c> or written into <c>admin.system.users</c> (by applyOps, as a
/// restore does), whose stored credentials are read as mongod reads them. The users given at start are not written to
/// <c>admin.system.users</c>, so an emulator started with them logs nothing more than before. Without users given at
/// start, authentication is not required (a mongod without <c>--auth</c>), but a client may still authenticate.
/// </summary>
internal sealed class UserDirectory(IReadOnlyDictionary<string, string>? users, Func<string, string, BsonDocument?> storedUser)
{
    private readonly IReadOnlyDictionary<string, string> _passwords = users ?? new Dictionary<string, string>();
    private readonly ConcurrentDictionary<(string, string), ScramKeys> _keys = new();

    public bool Enabled => _passwords.Count > 0;

    /// <summary>The SCRAM mechanisms <paramref name="user"/> of <paramref name="database"/> has credentials for, or null if there is no such user.</summary>
    public IReadOnlyList<string>? Mechanisms(string database, string user)
    {
        if (database == "admin" && _passwords.ContainsKey(user))
        {
            return ["SCRAM-SHA-1", "SCRAM-SHA-256"];
        }

        return storedUser(database, user)?.GetValue("credentials", new BsonDocument()) is BsonDocument credentials ? [.. credentials.Names] : null;
    }

    public ScramKeys? Keys(string database, string user, ScramMechanism mechanism)
    {
        if (database == "admin" && _passwords.TryGetValue(user, out var password))
        {
            return _keys.GetOrAdd((user, mechanism.Name), _ => mechanism.Derive(user, password));
        }

        if (storedUser(database, user)?.GetValue("credentials", BsonNull.Value) is not BsonDocument credentials
            || credentials.GetValue(mechanism.Name, BsonNull.Value) is not BsonDocument stored)
        {
            return null;
        }

        try
        {
            return new ScramKeys(
                Convert.FromBase64String(stored["salt"].AsString),
                stored["iterationCount"].ToInt32(),
                Convert.FromBase64String(stored["storedKey"].AsString),
                Convert.FromBase64String(stored["serverKey"].AsString));
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidCastException or FormatException)
        {
            // A malformed document (written by hand into system.users): mongod fails the authentication too.
            return null;
        }
    }
}
