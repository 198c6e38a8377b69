using Archiver.Emulators.MongoDb.Bson;
using Archiver.Emulators.MongoDb.Commands;
using Archiver.Emulators.MongoDb.Storage;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Auth;

/// <summary>
/// Users and roles kept as MongoDB keeps them: documents of <c>admin.system.users</c> (<c>_id: "db.user"</c>, <c>userId</c>,
/// <c>user</c>, <c>db</c>, <c>credentials</c>, <c>roles</c>) and <c>admin.system.roles</c> (<c>_id: "db.role"</c>, <c>role</c>,
/// <c>db</c>, <c>privileges</c>, <c>roles</c>), written by the user-management commands as ordinary inserts, updates and
/// deletes, and so logged as plain <c>i</c>/<c>u</c>/<c>d</c> entries on those namespaces (mongodb/mongo
/// <c>src/mongo/db/commands/user_management_commands.cpp</c>: <c>insertPrivilegeDocument</c>, <c>updatePrivilegeDocument</c>,
/// <c>removePrivilegeDocuments</c> write through <c>DBDirectClient</c>). The first write creates the collection with its
/// unique system index (<c>user_1_db_1</c>, <c>role_1_db_1</c>; <c>src/mongo/db/catalog/system_index.cpp</c>), logged as a
/// <c>create</c> and a <c>createIndexes</c>. Callers hold the replica-set lock.
/// </summary>
internal static class AuthzCatalog
{
    public const string Database = "admin";

    public const string Users = "system.users";

    public const string Roles = "system.roles";

    /// <summary>
    /// The built-in roles (mongodb/mongo <c>src/mongo/db/auth/builtin_roles.yml</c>, 7.0): the first five exist on every
    /// database, the others on <c>admin</c> only.
    /// </summary>
    private static readonly HashSet<string> EveryDatabaseRoles = new(StringComparer.Ordinal) { "read", "readWrite", "dbAdmin", "dbOwner", "userAdmin" };

    private static readonly HashSet<string> AdminRoles = new(StringComparer.Ordinal)
    {
        "readAnyDatabase", "readWriteAnyDatabase", "userAdminAnyDatabase", "dbAdminAnyDatabase", "clusterMonitor", "clusterManager",
        "hostManager", "clusterAdmin", "root", "__system", "backup", "restore", "enableSharding", "__queryableBackup",
    };

    public static bool IsBuiltinRole(string role, string database) =>
        EveryDatabaseRoles.Contains(role) || (database == Database && AdminRoles.Contains(role));

    public static CollectionState? Find(ReplicaSetState state, string collection) => state.Storage.Find(Database, collection);

    public static BsonDocument? User(ReplicaSetState state, string database, string user) => Find(state, Users)?.Find($"{database}.{user}");

    public static BsonDocument? Role(ReplicaSetState state, string database, string role) => Find(state, Roles)?.Find($"{database}.{role}");

    /// <summary>Inserts a user or role document, creating its collection first if needed; logged as an <c>i</c>.</summary>
    public static void Insert(ReplicaSetState state, string collection, BsonDocument document)
    {
        var target = Find(state, collection) ?? Create(state, collection);
        if (!target.TryInsert(document))
        {
            throw WriteCommands.DuplicateKey(target, document["_id"]);
        }

        state.Append("i", target.Namespace, target.Uuid, BsonIdentity.Copy(document), new BsonDocument("_id", document["_id"]));
    }

    /// <summary>
    /// Sets fields of a document (and removes <paramref name="unset"/>) as a <c>$set</c>/<c>$unset</c> update does, logged
    /// as <c>{$v: 2, diff: {d, u, i}}</c> with whole values (a modifier update logs what its modifiers wrote,
    /// <c>v2_log_builder.cpp</c>); nothing is logged when nothing changed (SERVER-21738).
    /// </summary>
    public static void Set(ReplicaSetState state, string collection, BsonDocument current, BsonDocument set, IReadOnlyCollection<string>? unset = null)
    {
        var target = Find(state, collection)!;
        var post = BsonIdentity.Copy(current);
        BsonDocument d = [], u = [], i = [];
        foreach (var name in unset ?? [])
        {
            if (!post.Contains(name)) continue;
            post.Remove(name);
            d.Add(name, false);
        }

        foreach (var element in set)
        {
            (current.Contains(element.Name) ? u : i).Add(element.Name, element.Value);
            post[element.Name] = element.Value;
        }

        if (BsonIdentity.BinaryEquals(current, post))
        {
            return;
        }

        var diff = new BsonDocument();
        if (d.ElementCount > 0) diff.Add("d", d);
        if (u.ElementCount > 0) diff.Add("u", u);
        if (i.ElementCount > 0) diff.Add("i", i);
        target.Put(post);
        state.Append("u", target.Namespace, target.Uuid, new BsonDocument { { "$v", 2 }, { "diff", BsonIdentity.Copy(diff) } }, new BsonDocument("_id", post["_id"]));
    }

    /// <summary>Deletes a user or role document by <c>_id</c>; logged as a <c>d</c>.</summary>
    public static bool Delete(ReplicaSetState state, string collection, BsonValue id)
    {
        var target = Find(state, collection);
        if (target is null || !target.Remove(id))
        {
            return false;
        }

        state.Append("d", target.Namespace, target.Uuid, new BsonDocument("_id", id), null);
        return true;
    }

    /// <summary>
    /// A command's <c>roles</c> as <c>[{role, db}]</c>: a name alone is a role of the command's database. Each must be a
    /// built-in role or a defined one, else RoleNotFound (31, "Could not find role: r@db"), as mongod checks.
    /// </summary>
    public static BsonArray RoleReferences(ReplicaSetState state, BsonValue roles, string database, string field)
    {
        if (roles is not BsonArray list)
        {
            throw new CommandError(ErrorCode.TypeMismatch, $"BSON field '{field}' is the wrong type '{roles.BsonType}', expected type 'array'");
        }

        var result = new BsonArray();
        foreach (var value in list)
        {
            var (role, db) = value switch
            {
                BsonString name => (name.Value, database),
                BsonDocument { ElementCount: 2 } given when given.GetValue("role", BsonNull.Value) is BsonString r && given.GetValue("db", BsonNull.Value) is BsonString d => (r.Value, d.Value),
                _ => throw new CommandError(ErrorCode.BadValue, $"Role names must be either strings or objects of the form {{role: roleName, db: databaseName}}: {value}"),
            };
            if (!IsBuiltinRole(role, db) && Role(state, db, role) is null)
            {
                throw new CommandError(ErrorCode.RoleNotFound, $"Could not find role: {role}@{db}");
            }

            var reference = new BsonDocument { { "role", role }, { "db", db } };
            if (!result.Contains(reference)) result.Add(reference);
        }

        return result;
    }

    /// <summary>
    /// <paramref name="held"/> with <paramref name="changed"/> granted (added where missing, in order) or revoked
    /// (removed): what grantRolesTo*/revokeRolesFrom* store for a user's or a role's <c>roles</c>. A copy: stored
    /// documents are never changed in place.
    /// </summary>
    public static BsonArray GrantOrRevoke(BsonArray held, BsonArray changed, bool grant)
    {
        var roles = (BsonArray)held.DeepClone();
        foreach (var reference in changed)
        {
            if (grant && !roles.Contains(reference)) roles.Add(reference);
            if (!grant) roles.Remove(reference);
        }

        return roles;
    }

    /// <summary>The command's first field: the name of the user or role it is about.</summary>
    public static string Subject(CommandContext context)
    {
        var value = context.Command.GetElement(0).Value;
        if (value is not BsonString { Value.Length: > 0 } name)
        {
            throw new CommandError(ErrorCode.BadValue, $"{context.Name} needs a non-empty name, not {value}");
        }

        if (context.Database is "local")
        {
            throw new CommandError(ErrorCode.BadValue, "Cannot create or modify users or roles in the local database");
        }

        return name.Value;
    }

    public static BsonValue Required(CommandContext context, string field) =>
        context.Command.TryGetValue(field, out var value)
            ? value
            : throw new CommandError(ErrorCode.IdlMissingField, $"BSON field '{context.Name}.{field}' is missing but a required field");

    private static CollectionState Create(ReplicaSetState state, string collection)
    {
        var created = state.CreateCollection(Database, collection, new BsonDocument());
        var field = collection == Users ? "user" : "role";
        var spec = new BsonDocument { { "v", 2 }, { "unique", true }, { "key", new BsonDocument { { field, 1 }, { "db", 1 } } }, { "name", $"{field}_1_db_1" } };
        created.Indexes.Add(spec);
        var o = new BsonDocument("createIndexes", collection).AddRange(spec);
        state.Append("c", $"{Database}.$cmd", created.Uuid, o, null);
        return created;
    }
}
