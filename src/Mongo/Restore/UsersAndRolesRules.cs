using Archiver.Mongo.Backup;
using MongoDB.Bson;

namespace Archiver.Mongo.Restore;

/// <summary>
/// Which user and role documents (of <c>admin.system.users</c> and <c>admin.system.roles</c>) a restore writes, and how
/// the database mapping applies to them: a document belongs to the database before the first dot of its <c>_id</c>
/// (<c>"db.name"</c>, the same as its <c>db</c>); it is restored when that database is restored (and is not
/// <c>admin</c>, <c>config</c>, <c>local</c> or <c>$external</c>, see <see cref="UsersAndRolesDump.OwnsUsers"/>), with
/// the mapping applied to its <c>_id</c> and to every string field named <c>db</c> in it (its own, its role references
/// <c>{role, db}</c>, its privileges' resources <c>{db, collection}</c>) except inside <c>customData</c>, which is the
/// user's own. The same rule maps an update's <c>$v: 2</c> diff, whose sections nest the same field names. SCRAM
/// credentials do not depend on the database, so a mapped user keeps its password. Records the names restored (never
/// anything else of the documents) for the report.
/// </summary>
internal sealed class UsersAndRolesRules(bool enabled, Func<string, bool> includeDatabase, Func<string, string> mapDatabase)
{
    public const string UsersNamespace = UsersAndRolesDump.Database + "." + UsersAndRolesDump.UsersCollection;

    public const string RolesNamespace = UsersAndRolesDump.Database + "." + UsersAndRolesDump.RolesCollection;

    private readonly SortedSet<string> _users = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _roles = new(StringComparer.Ordinal);

    public bool Enabled => enabled;

    public static bool IsNamespace(string ns) => ns is UsersNamespace or RolesNamespace;

    public static bool IsNamespace(ReadOnlySpan<byte> ns) => ns.SequenceEqual("admin.system.users"u8) || ns.SequenceEqual("admin.system.roles"u8);

    /// <summary>Users restored, by mapped name <c>db.user</c>: loaded or created, and not dropped since.</summary>
    public IReadOnlyList<string> Users
    {
        get
        {
            lock (_users) return [.. _users];
        }
    }

    /// <summary>Roles restored, by mapped name <c>db.role</c>.</summary>
    public IReadOnlyList<string> Roles
    {
        get
        {
            lock (_users) return [.. _roles];
        }
    }

    /// <summary>Whether a document with this <c>_id</c> (<c>"db.name"</c>) is restored.</summary>
    public bool Includes(BsonValue id) =>
        enabled && id is BsonString { Value: var text } && text.IndexOf('.', StringComparison.Ordinal) is > 0 and var dot
        && UsersAndRolesDump.OwnsUsers(text[..dot]) && includeDatabase(text[..dot]);

    public BsonString MapId(BsonValue id)
    {
        var text = id.AsString;
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        return new BsonString(mapDatabase(text[..dot]) + text[dot..]);
    }

    /// <summary>A copy of a user or role document, or of an update's diff, with its <c>_id</c> and <c>db</c> fields mapped.</summary>
    public BsonDocument Map(BsonDocument document) => Map(document, top: true);

    private BsonDocument Map(BsonDocument document, bool top)
    {
        var mapped = new BsonDocument();
        foreach (var element in document)
        {
            mapped.Add(element.Name, element.Name switch
            {
                "_id" when top && element.Value.IsString && element.Value.AsString.Contains('.', StringComparison.Ordinal) => MapId(element.Value),
                "db" when element.Value is BsonString db => new BsonString(mapDatabase(db.Value)),
                "customData" or "scustomData" => element.Value.DeepClone(),
                _ => MapValue(element.Value),
            });
        }

        return mapped;
    }

    /// <summary>Notes a document written (<paramref name="present"/>) or deleted, by its mapped <c>_id</c>.</summary>
    public void Record(string ns, BsonValue mappedId, bool present)
    {
        lock (_users)
        {
            var names = ns == UsersNamespace ? _users : _roles;
            if (present) names.Add(mappedId.AsString);
            else names.Remove(mappedId.AsString);
        }
    }

    private BsonValue MapValue(BsonValue value) => value switch
    {
        BsonDocument document => Map(document, top: false),
        BsonArray array => new BsonArray(array.Select(MapValue)),
        _ => value,
    };
}
