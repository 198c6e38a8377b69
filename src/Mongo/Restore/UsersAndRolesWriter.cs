using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Restore;

/// <summary>
/// Writes user and role documents into the target's <c>admin.system.users</c> and <c>admin.system.roles</c> the way the
/// rest of the replay writes: as <c>applyOps</c> operations (an insert there is an upsert, an update upserts by
/// default, a delete of a missing document succeeds, so writing twice converges, as a resumed restore needs). This is
/// what a secondary does with these entries and works on a real mongod for a user allowed to run the replay (root, or
/// restore with applyOps); unlike <c>createUser</c> it keeps the stored credentials, <c>userId</c> and field order as
/// they were, which no user-management command can (mongorestore goes through a temporary collection and the internal
/// <c>_mergeAuthzCollections</c> for the same reason; PBM writes the documents directly). A target that has no users
/// yet has no such collection, and applyOps refuses an insert into a missing one (NamespaceNotFound): it is created then
/// (mongod adds its unique system index itself). Afterwards <c>invalidateUserCache</c> runs, so a mongod that cached a
/// user before sees the restored one (its auth op observer invalidates on such writes too; this makes it explicit).
/// </summary>
internal static class UsersAndRolesWriter
{
    public static async Task ApplyAsync(Func<string, BsonDocument, CancellationToken, Task> runCommand, BsonArray ops, CancellationToken cancellationToken)
    {
        if (ops.Count == 0)
        {
            return;
        }

        var command = new BsonDocument("applyOps", ops);
        try
        {
            await runCommand("admin", command, cancellationToken);
        }
        catch (MongoCommandException e) when (e.Code == 26)
        {
            var collection = ops[0]["ns"].AsString["admin.".Length..];
            try
            {
                await runCommand("admin", new BsonDocument("create", collection), cancellationToken);
            }
            catch (MongoCommandException exists) when (exists.Code == 48)
            {
                // Made in the meantime.
            }

            await runCommand("admin", command, cancellationToken);
        }

        await runCommand("admin", new BsonDocument("invalidateUserCache", 1), cancellationToken);
    }
}
