using Archiver.Emulators.MongoDb.Auth;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// createRole, updateRole, dropRole, dropAllRolesFromDatabase, grantRolesToRole, revokeRolesFromRole,
/// grantPrivilegesToRole, revokePrivilegesFromRole and rolesInfo, as mongod answers them
/// (https://www.mongodb.com/docs/manual/reference/command/createRole/ and its siblings), kept in <c>admin.system.roles</c>
/// (<see cref="AuthzCatalog"/>). Dropping a role also takes it out of every user's and role's <c>roles</c> (each an
/// update, logged), then deletes it, as <c>dropRole</c> does. Privileges are stored and listed, never enforced.
/// </summary>
internal static class RoleCommands
{
    public static void Register(CommandDispatcher dispatcher)
    {
        dispatcher.Add("createRole", c => UserCommands.Run(c, CreateRole));
        dispatcher.Add("updateRole", c => UserCommands.Run(c, UpdateRole));
        dispatcher.Add("dropRole", c => UserCommands.Run(c, DropRole));
        dispatcher.Add("dropAllRolesFromDatabase", c => UserCommands.Run(c, DropAllRoles));
        dispatcher.Add("grantRolesToRole", c => UserCommands.Run(c, context => ChangeRoles(context, grant: true)));
        dispatcher.Add("revokeRolesFromRole", c => UserCommands.Run(c, context => ChangeRoles(context, grant: false)));
        dispatcher.Add("grantPrivilegesToRole", c => UserCommands.Run(c, context => ChangePrivileges(context, grant: true)));
        dispatcher.Add("revokePrivilegesFromRole", c => UserCommands.Run(c, context => ChangePrivileges(context, grant: false)));
        dispatcher.Add("rolesInfo", c => UserCommands.Run(c, RolesInfo));
    }

    private static BsonDocument CreateRole(CommandContext context)
    {
        var name = AuthzCatalog.Subject(context);
        var database = context.Database;
        var privileges = Privileges(context, AuthzCatalog.Required(context, "privileges"));
        var roles = AuthzCatalog.RoleReferences(context.State, AuthzCatalog.Required(context, "roles"), database, "createRole.roles");
        if (AuthzCatalog.IsBuiltinRole(name, database))
        {
            throw new CommandError(ErrorCode.BadValue, "Cannot create roles with the same name as a built-in role");
        }

        if (AuthzCatalog.Role(context.State, database, name) is not null)
        {
            throw new CommandError(ErrorCode.RoleAlreadyExists, $"Role \"{name}@{database}\" already exists");
        }

        var role = new BsonDocument { { "_id", $"{database}.{name}" }, { "role", name }, { "db", database }, { "privileges", privileges }, { "roles", roles } };
        if (context.Command.TryGetValue("authenticationRestrictions", out var restrictions)) role.Add("authenticationRestrictions", restrictions.DeepClone());
        AuthzCatalog.Insert(context.State, AuthzCatalog.Roles, role);
        return HandshakeCommands.Ok();
    }

    private static BsonDocument UpdateRole(CommandContext context)
    {
        var name = AuthzCatalog.Subject(context);
        var role = Existing(context, name);
        var set = new BsonDocument();
        if (context.Command.TryGetValue("privileges", out var privileges)) set.Add("privileges", Privileges(context, privileges));
        if (context.Command.TryGetValue("roles", out var roles)) set.Add("roles", AuthzCatalog.RoleReferences(context.State, roles, context.Database, "updateRole.roles"));
        if (context.Command.TryGetValue("authenticationRestrictions", out var restrictions)) set.Add("authenticationRestrictions", restrictions.DeepClone());
        if (set.ElementCount == 0)
        {
            throw new CommandError(ErrorCode.BadValue, "Must specify at least one field to update in updateRole");
        }

        AuthzCatalog.Set(context.State, AuthzCatalog.Roles, role, set);
        return HandshakeCommands.Ok();
    }

    private static BsonDocument ChangeRoles(CommandContext context, bool grant)
    {
        var name = AuthzCatalog.Subject(context);
        var changed = AuthzCatalog.RoleReferences(context.State, AuthzCatalog.Required(context, "roles"), context.Database, $"{context.Name}.roles");
        var role = Existing(context, name);
        if (grant && changed.Any(reference => reference["role"] == name && reference["db"] == context.Database))
        {
            throw new CommandError(ErrorCode.InvalidRoleModification, $"Granting {name}@{context.Database} to itself would introduce a cycle");
        }

        AuthzCatalog.Set(context.State, AuthzCatalog.Roles, role, new BsonDocument("roles", AuthzCatalog.GrantOrRevoke(role["roles"].AsBsonArray, changed, grant)));
        return HandshakeCommands.Ok();
    }

    private static BsonDocument ChangePrivileges(CommandContext context, bool grant)
    {
        var name = AuthzCatalog.Subject(context);
        var changed = Privileges(context, AuthzCatalog.Required(context, "privileges"));
        var role = Existing(context, name);
        var privileges = (BsonArray)role["privileges"].DeepClone();
        foreach (var privilege in changed.Select(p => p.AsBsonDocument))
        {
            var resource = privilege["resource"];
            var held = privileges.Select(p => p.AsBsonDocument).FirstOrDefault(p => p["resource"] == resource);
            var actions = privilege["actions"].AsBsonArray;
            if (held is null)
            {
                if (grant) privileges.Add(privilege);
                continue;
            }

            var merged = grant
                ? held["actions"].AsBsonArray.Union(actions).OrderBy(a => a.AsString, StringComparer.Ordinal)
                : held["actions"].AsBsonArray.Except(actions);
            held["actions"] = new BsonArray(merged);
            if (held["actions"].AsBsonArray.Count == 0) privileges.Remove(held);
        }

        AuthzCatalog.Set(context.State, AuthzCatalog.Roles, role, new BsonDocument("privileges", privileges));
        return HandshakeCommands.Ok();
    }

    private static BsonDocument DropRole(CommandContext context)
    {
        var name = AuthzCatalog.Subject(context);
        var role = Existing(context, name);
        Drop(context.State, role);
        return HandshakeCommands.Ok();
    }

    private static BsonDocument DropAllRoles(CommandContext context)
    {
        var doomed = Stored(context.State, AuthzCatalog.Roles).Where(r => r["db"] == context.Database).ToList();
        foreach (var role in doomed)
        {
            Drop(context.State, role);
        }

        return new BsonDocument { { "n", doomed.Count }, { "ok", 1.0 } };
    }

    /// <summary>Takes the role out of every user and role granted it (an update each), then deletes it.</summary>
    private static void Drop(ReplicaSetState state, BsonDocument role)
    {
        var reference = new BsonDocument { { "role", role["role"] }, { "db", role["db"] } };
        foreach (var collection in new[] { AuthzCatalog.Users, AuthzCatalog.Roles })
        {
            foreach (var holder in Stored(state, collection).Where(h => h.GetValue("roles", new BsonArray()).AsBsonArray.Contains(reference)).ToList())
            {
                var roles = (BsonArray)holder["roles"].DeepClone();
                roles.Remove(reference);
                AuthzCatalog.Set(state, collection, holder, new BsonDocument("roles", roles));
            }
        }

        AuthzCatalog.Delete(state, AuthzCatalog.Roles, role["_id"]);
    }

    /// <summary>
    /// <c>rolesInfo: 1</c> (the database's roles), <c>"name"</c>, <c>{role, db}</c> or an array of those: each with
    /// <c>isBuiltin</c>, <c>roles</c>, <c>inheritedRoles</c> (transitively), and its privileges when <c>showPrivileges</c>.
    /// Built-in roles are listed when named, or with <c>showBuiltinRoles</c>.
    /// </summary>
    private static BsonDocument RolesInfo(CommandContext context)
    {
        var asked = context.Command.GetElement(0).Value;
        var all = Stored(context.State, AuthzCatalog.Roles).ToList();
        IEnumerable<(string Role, string Db)> names = asked switch
        {
            BsonArray list => list.Select(n => Name(n, context.Database)),
            BsonString or BsonDocument => [Name(asked, context.Database)],
            _ when asked.IsNumeric && asked.ToInt32() == 1 => all.Where(r => r["db"] == context.Database).Select(r => (r["role"].AsString, r["db"].AsString)),
            _ => throw new CommandError(ErrorCode.BadValue, $"rolesInfo takes 1, a role name, {{role, db}} or an array of them, not {asked}"),
        };
        var showPrivileges = context.Flag("showPrivileges");
        var result = new BsonArray();
        foreach (var (role, db) in names.Distinct())
        {
            var builtin = AuthzCatalog.IsBuiltinRole(role, db);
            var stored = builtin ? null : AuthzCatalog.Role(context.State, db, role);
            if (!builtin && stored is null) continue;
            var direct = stored?["roles"].AsBsonArray ?? [];
            var info = new BsonDocument { { "role", role }, { "db", db }, { "isBuiltin", builtin }, { "roles", direct.DeepClone() }, { "inheritedRoles", Inherited(context.State, direct) } };
            if (showPrivileges) info.Add("privileges", stored?["privileges"].DeepClone() ?? new BsonArray());
            result.Add(info);
        }

        return new BsonDocument { { "roles", result }, { "ok", 1.0 } };
    }

    private static BsonArray Inherited(ReplicaSetState state, BsonArray direct)
    {
        var seen = new BsonArray();
        var pending = new Queue<BsonValue>(direct);
        while (pending.TryDequeue(out var next))
        {
            if (seen.Contains(next)) continue;
            seen.Add(next.DeepClone());
            if (AuthzCatalog.Role(state, next["db"].AsString, next["role"].AsString) is { } defined)
            {
                foreach (var inherited in defined["roles"].AsBsonArray) pending.Enqueue(inherited);
            }
        }

        return seen;
    }

    private static (string Role, string Db) Name(BsonValue value, string database) => value switch
    {
        BsonString name => (name.Value, database),
        BsonDocument reference => (reference.GetValue("role", "").AsString, reference.GetValue("db", database).AsString),
        _ => throw new CommandError(ErrorCode.BadValue, $"Role name must be a string or {{role, db}}, not {value}"),
    };

    /// <summary>
    /// Checks privileges as mongod does: each <c>{resource, actions}</c> with a non-empty list of actions, and a role
    /// outside <c>admin</c> may only name resources of its own database (no cluster, no other database).
    /// </summary>
    private static BsonArray Privileges(CommandContext context, BsonValue value)
    {
        if (value is not BsonArray list)
        {
            throw new CommandError(ErrorCode.TypeMismatch, $"BSON field '{context.Name}.privileges' is the wrong type '{value.BsonType}', expected type 'array'");
        }

        foreach (var privilege in list)
        {
            if (privilege is not BsonDocument p || p.GetValue("resource", BsonNull.Value) is not BsonDocument resource
                || p.GetValue("actions", BsonNull.Value) is not BsonArray { Count: > 0 } actions || actions.Any(a => !a.IsString))
            {
                throw new CommandError(ErrorCode.FailedToParse, $"A privilege needs a 'resource' document and a non-empty 'actions' array of strings: {privilege}");
            }

            if (context.Database != AuthzCatalog.Database && (resource.GetValue("db", BsonNull.Value) != context.Database || resource.Contains("cluster") || resource.Contains("anyResource")))
            {
                throw new CommandError(ErrorCode.InvalidRoleModification, $"Roles on the '{context.Database}' database cannot be granted privileges that target other databases or the cluster");
            }
        }

        return (BsonArray)list.DeepClone();
    }

    private static IEnumerable<BsonDocument> Stored(ReplicaSetState state, string collection) =>
        AuthzCatalog.Find(state, collection)?.Documents ?? [];

    private static BsonDocument Existing(CommandContext context, string name) =>
        AuthzCatalog.Role(context.State, context.Database, name)
        ?? throw new CommandError(ErrorCode.RoleNotFound, $"Could not find role: {name}@{context.Database}");
}
