using MongoDB.Bson;

namespace Archiver.Mongo.Restore;

internal sealed partial class OplogApplier
{
    /// <summary>
    /// An insert, update or delete of a user or role (<c>admin.system.users</c>, <c>admin.system.roles</c>; the
    /// user-management commands log nothing else, MONGODB-OPLOG.md): applied alone, with the database mapping, when its
    /// database is restored and users and roles are (<see cref="UsersAndRolesRules"/>); otherwise skipped and counted.
    /// </summary>
    private async Task ApplyUsersAndRolesOpAsync(BsonDocument op, CancellationToken cancellationToken)
    {
        var authz = rules.UsersAndRoles;
        var ns = op["ns"].AsString;
        var kind = op["op"].AsString;
        var o = op["o"].AsBsonDocument;
        var id = kind == "u" && op.GetValue("o2", BsonNull.Value) is BsonDocument key ? key.GetValue("_id", BsonNull.Value) : o.GetValue("_id", BsonNull.Value);
        if (!authz.Includes(id))
        {
            rules.Count(ns);
            return;
        }

        await FlushAsync(cancellationToken);
        var mappedId = authz.MapId(id);
        var clean = new BsonDocument { { "op", kind }, { "ns", ns }, { "o", kind == "d" ? new BsonDocument("_id", mappedId) : authz.Map(o) } };
        if (kind == "u")
        {
            clean.Add("o2", new BsonDocument("_id", mappedId));
        }

        await UsersAndRolesWriter.ApplyAsync(runCommand, [clean], cancellationToken);
        authz.Record(ns, mappedId, present: kind != "d");
    }
}
