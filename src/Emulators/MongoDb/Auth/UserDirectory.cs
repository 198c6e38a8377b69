using System.Collections.Concurrent;

namespace Archiver.Emulators.MongoDb.Auth;

/// <summary>
/// The users of the <c>admin</c> database, each with the <c>root</c> role (as KubeDB's auth secret's user is), with
/// their SCRAM keys derived once per mechanism. Empty: authentication is off, as on a mongod without <c>--auth</c>.
/// </summary>
internal sealed class UserDirectory(IReadOnlyDictionary<string, string>? users)
{
    private readonly IReadOnlyDictionary<string, string> _passwords = users ?? new Dictionary<string, string>();
    private readonly ConcurrentDictionary<(string, string), ScramKeys> _keys = new();

    public bool Enabled => _passwords.Count > 0;

    public bool Exists(string user) => _passwords.ContainsKey(user);

    public ScramKeys? Keys(string user, ScramMechanism mechanism) =>
        _passwords.TryGetValue(user, out var password) ? _keys.GetOrAdd((user, mechanism.Name), _ => mechanism.Derive(user, password)) : null;
}
