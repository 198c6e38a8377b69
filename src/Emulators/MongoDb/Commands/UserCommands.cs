using Archiver.Emulators.MongoDb.Auth;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// createUser, updateUser, dropUser, dropAllUsersFromDatabase, grantRolesToUser, revokeRolesFromUser and usersInfo, as
/// mongod answers them (https://www.mongodb.com/docs/manual/reference/command/createUser/ and its siblings; mongodb/mongo
/// <c>src/mongo/db/commands/user_management_commands.cpp</c>), kept in <c>admin.system.users</c> (<see cref="AuthzCatalog"/>).
/// The password is never stored: SCRAM-SHA-1 and SCRAM-SHA-256 credentials (salt, iteration count, StoredKey, ServerKey, in
/// base64) are, and a user so made can authenticate (<see cref="UserDirectory"/>). Roles are checked to exist; privileges are
/// not enforced (the emulator authenticates, it does not authorise).
/// </summary>
internal static class UserCommands
{
    /// <summary>The commands that write (a secondary refuses them, as any write).</summary>
    public static readonly IReadOnlySet<string> Writes = new HashSet<string>(StringComparer.Ordinal)
    {
        "createUser", "updateUser", "dropUser", "dropAllUsersFromDatabase", "grantRolesToUser", "revokeRolesFromUser",
        "createRole", "updateRole", "dropRole", "dropAllRolesFromDatabase", "grantRolesToRole", "revokeRolesFromRole",
        "grantPrivilegesToRole", "revokePrivilegesFromRole",
    };

    private static readonly string[] AllMechanisms = ["SCRAM-SHA-1", "SCRAM-SHA-256"];

    public static void Register(CommandDispatcher dispatcher)
    {
        dispatcher.Add("createUser", c => Run(c, CreateUser));
        dispatcher.Add("updateUser", c => Run(c, UpdateUser));
        dispatcher.Add("dropUser", c => Run(c, DropUser));
        dispatcher.Add("dropAllUsersFromDatabase", c => Run(c, DropAllUsers));
        dispatcher.Add("grantRolesToUser", c => Run(c, context => ChangeRoles(context, grant: true)));
        dispatcher.Add("revokeRolesFromUser", c => Run(c, context => ChangeRoles(context, grant: false)));
        dispatcher.Add("usersInfo", c => Run(c, UsersInfo));
        dispatcher.Add("invalidateUserCache", _ => Task.FromResult(HandshakeCommands.Ok()));
    }

    /// <summary>Runs a user or role command under the lock; none may run in a transaction (mongod: OperationNotSupportedInTransaction).</summary>
    public static Task<BsonDocument> Run(CommandContext context, Func<CommandContext, BsonDocument> command)
    {
        if (context.View.Transaction is not null)
        {
            throw new CommandError(ErrorCode.OperationNotSupportedInTransaction, $"Cannot run '{context.Name}' in a multi-document transaction.");
        }

        lock (context.State.Sync)
        {
            return Task.FromResult(command(context));
        }
    }

    private static BsonDocument CreateUser(CommandContext context)
    {
        var name = AuthzCatalog.Subject(context);
        var database = context.Database;
        var roles = AuthzCatalog.RoleReferences(context.State, AuthzCatalog.Required(context, "roles"), database, "createUser.roles");
        if (AuthzCatalog.User(context.State, database, name) is not null)
        {
            throw new CommandError(ErrorCode.UserAlreadyExists, $"User \"{name}@{database}\" already exists");
        }

        var user = new BsonDocument
        {
            { "_id", $"{database}.{name}" },
            { "userId", new BsonBinaryData(Guid.NewGuid(), GuidRepresentation.Standard) },
            { "user", name },
            { "db", database },
        };
        if (database == "$external")
        {
            if (context.Command.Contains("pwd")) throw new CommandError(ErrorCode.BadValue, "Cannot set a password for a user in the $external database");
        }
        else
        {
            var password = context.Command.GetValue("pwd", BsonNull.Value) as BsonString
                ?? throw new CommandError(ErrorCode.BadValue, "Must provide a 'pwd' field for all user documents, except those with '$external' as the user's source db");
            user.Add("credentials", Credentials(name, password.Value, Mechanisms(context, AllMechanisms)));
        }

        CopyOptional(context, user, "customData", "authenticationRestrictions");
        user.Add("roles", roles);
        AuthzCatalog.Insert(context.State, AuthzCatalog.Users, user);
        return HandshakeCommands.Ok();
    }

    private static BsonDocument UpdateUser(CommandContext context)
    {
        var name = AuthzCatalog.Subject(context);
        var user = Existing(context, name);
        var set = new BsonDocument();
        var mechanisms = user.GetValue("credentials", new BsonDocument()).AsBsonDocument.Names.ToArray();
        if (context.Command.TryGetValue("pwd", out var password))
        {
            if (password is not BsonString { Value.Length: > 0 } text) throw new CommandError(ErrorCode.BadValue, "Password cannot be empty");
            set.Add("credentials", Credentials(name, text.Value, Mechanisms(context, AllMechanisms)));
        }
        else if (context.Command.Contains("mechanisms"))
        {
            // Without a new password, mechanisms can only narrow the ones the user has credentials for.
            var narrowed = Mechanisms(context, mechanisms);
            var credentials = user["credentials"].AsBsonDocument;
            set.Add("credentials", new BsonDocument(credentials.Where(e => narrowed.Contains(e.Name))));
        }

        if (context.Command.TryGetValue("roles", out var roles))
        {
            set.Add("roles", AuthzCatalog.RoleReferences(context.State, roles, context.Database, "updateUser.roles"));
        }

        CopyOptional(context, set, "customData", "authenticationRestrictions");
        if (set.ElementCount == 0)
        {
            throw new CommandError(ErrorCode.BadValue, "Must specify at least one field to update in updateUser");
        }

        AuthzCatalog.Set(context.State, AuthzCatalog.Users, user, set);
        return HandshakeCommands.Ok();
    }

    private static BsonDocument ChangeRoles(CommandContext context, bool grant)
    {
        var name = AuthzCatalog.Subject(context);
        var changed = AuthzCatalog.RoleReferences(context.State, AuthzCatalog.Required(context, "roles"), context.Database, $"{context.Name}.roles");
        var user = Existing(context, name);
        var roles = AuthzCatalog.GrantOrRevoke(user.GetValue("roles", new BsonArray()).AsBsonArray, changed, grant);
        AuthzCatalog.Set(context.State, AuthzCatalog.Users, user, new BsonDocument("roles", roles));
        return HandshakeCommands.Ok();
    }

    private static BsonDocument DropUser(CommandContext context)
    {
        var name = AuthzCatalog.Subject(context);
        var user = Existing(context, name);
        AuthzCatalog.Delete(context.State, AuthzCatalog.Users, user["_id"]);
        return HandshakeCommands.Ok();
    }

    private static BsonDocument DropAllUsers(CommandContext context)
    {
        var doomed = Stored(context.State).Where(u => u["db"] == context.Database).Select(u => u["_id"]).ToList();
        foreach (var id in doomed)
        {
            AuthzCatalog.Delete(context.State, AuthzCatalog.Users, id);
        }

        return new BsonDocument { { "n", doomed.Count }, { "ok", 1.0 } };
    }

    /// <summary>
    /// <c>usersInfo: 1</c> (the database's users), <c>"name"</c>, <c>{user, db}</c>, an array of those, or
    /// <c>{forAllDBs: true}</c>; each user without its credentials unless <c>showCredentials</c>, with the
    /// <c>mechanisms</c> it has credentials for. An unknown user is simply not listed.
    /// </summary>
    private static BsonDocument UsersInfo(CommandContext context)
    {
        var asked = context.Command.GetElement(0).Value;
        var all = Stored(context.State).ToList();
        IEnumerable<BsonDocument> users = asked switch
        {
            BsonDocument { } forAll when forAll.GetValue("forAllDBs", false).ToBoolean() => all,
            BsonArray names => all.Where(u => names.Any(n => Names(n, context.Database) == (u["user"].AsString, u["db"].AsString))),
            BsonString or BsonDocument => all.Where(u => Names(asked, context.Database) == (u["user"].AsString, u["db"].AsString)),
            _ when asked.IsNumeric && asked.ToInt32() == 1 => all.Where(u => u["db"] == context.Database),
            _ => throw new CommandError(ErrorCode.BadValue, $"usersInfo takes 1, a user name, {{user, db}} or an array of them, not {asked}"),
        };
        if (context.DocumentOrNull("filter") is { } filter)
        {
            users = users.Where(u => Query.FilterMatcher.Matches(u, filter));
        }

        var showCredentials = context.Flag("showCredentials");
        var showCustomData = !context.Command.TryGetValue("showCustomData", out var custom) || custom.ToBoolean();
        var result = new BsonArray();
        foreach (var user in users.OrderBy(u => u["db"].AsString, StringComparer.Ordinal).ThenBy(u => u["user"].AsString, StringComparer.Ordinal))
        {
            var info = new BsonDocument(user.Where(e => e.Name != "credentials" && (showCustomData || e.Name != "customData")).Select(e => new BsonElement(e.Name, e.Value.DeepClone())));
            var credentials = user.GetValue("credentials", new BsonDocument()).AsBsonDocument;
            if (showCredentials) info.Add("credentials", credentials.DeepClone());
            info.Add("mechanisms", new BsonArray(credentials.Names));
            result.Add(info);
        }

        return new BsonDocument { { "users", result }, { "ok", 1.0 } };
    }

    private static (string User, string Db) Names(BsonValue value, string database) => value switch
    {
        BsonString name => (name.Value, database),
        BsonDocument reference => (reference.GetValue("user", "").AsString, reference.GetValue("db", database).AsString),
        _ => throw new CommandError(ErrorCode.BadValue, $"User name must be a string or {{user, db}}, not {value}"),
    };

    private static IEnumerable<BsonDocument> Stored(ReplicaSetState state) =>
        AuthzCatalog.Find(state, AuthzCatalog.Users)?.Documents ?? [];

    private static BsonDocument Existing(CommandContext context, string name) =>
        AuthzCatalog.User(context.State, context.Database, name)
        ?? throw new CommandError(ErrorCode.UserNotFound, $"Could not find user \"{name}\" for db \"{context.Database}\"");

    private static string[] Mechanisms(CommandContext context, string[] allowed)
    {
        if (!context.Command.TryGetValue("mechanisms", out var value))
        {
            return allowed;
        }

        var asked = value.AsBsonArray.Select(m => m.AsString).ToArray();
        if (asked.Length == 0) throw new CommandError(ErrorCode.BadValue, "mechanisms field must not be empty");
        if (asked.FirstOrDefault(m => !allowed.Contains(m)) is { } unknown)
        {
            throw new CommandError(ErrorCode.BadValue, $"Unknown auth mechanism '{unknown}'");
        }

        return asked;
    }

    /// <summary>The stored credentials: per mechanism <c>{iterationCount, salt, storedKey, serverKey}</c>, as mongod stores them.</summary>
    private static BsonDocument Credentials(string user, string password, IEnumerable<string> mechanisms)
    {
        var credentials = new BsonDocument();
        foreach (var mechanism in AllMechanisms.Where(mechanisms.Contains).Select(m => ScramMechanism.Named(m)!))
        {
            var keys = mechanism.Derive(user, password);
            credentials.Add(mechanism.Name, new BsonDocument
            {
                { "iterationCount", keys.Iterations },
                { "salt", Convert.ToBase64String(keys.Salt) },
                { "storedKey", Convert.ToBase64String(keys.StoredKey) },
                { "serverKey", Convert.ToBase64String(keys.ServerKey) },
            });
        }

        return credentials;
    }

    private static void CopyOptional(CommandContext context, BsonDocument target, params string[] fields)
    {
        foreach (var field in fields)
        {
            if (context.Command.TryGetValue(field, out var value)) target[field] = value.DeepClone();
        }
    }
}
