using Archiver.Storage.FullBackups;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Backup;

/// <summary>
/// The users and roles defined on the backed-up databases, dumped with a full backup as <c>mongodump
/// --dumpDbUsersAndRoles</c> does: the documents of <c>admin.system.users</c> and <c>admin.system.roles</c> whose
/// <c>db</c> is a database the backup includes, each set in one file of the usual format (a header naming
/// <c>admin.system.users</c> or <c>admin.system.roles</c>, with <c>type: "users"</c> or <c>"roles"</c>, so a restore
/// tells them from collections; then the documents as read, credentials included: a restored user keeps its password).
/// Users and roles of <c>admin</c>, <c>config</c>, <c>local</c> and <c>$external</c> are never dumped: <c>admin</c>'s
/// belong to the replica set (KubeDB's root user), not to a database. Both files are written even when empty, so a
/// restore knows the backup had none. Only names are ever logged.
/// </summary>
public static class UsersAndRolesDump
{
    public const string UsersType = "users";

    public const string RolesType = "roles";

    public const string Database = "admin";

    public const string UsersCollection = "system.users";

    public const string RolesCollection = "system.roles";

    /// <summary>Whether users and roles defined on <paramref name="database"/> travel with it.</summary>
    public static bool OwnsUsers(string database) => database is not ("admin" or "config" or "local" or "$external");

    /// <summary>Writes the two files, numbered <paramref name="firstIndex"/> and the next, into the backup.</summary>
    public static async Task WriteAsync(IMongoClient client, FullBackupWriter writer, LogicalBackupOptions options, int firstIndex, CancellationToken cancellationToken)
    {
        var admin = client.GetDatabase(Database);
        foreach (var (collection, type, index) in new[] { (UsersCollection, UsersType, firstIndex), (RolesCollection, RolesType, firstIndex + 1) })
        {
            // Few documents (one per user or role): read whole and filtered here, by the database predicate the backup uses.
            var documents = await admin.GetCollection<BsonDocument>(collection)
                .Find(FilterDefinition<BsonDocument>.Empty)
                .Sort(new BsonDocument("_id", 1))
                .ToListAsync(cancellationToken);
            await using var content = new MemoryStream();
            await content.WriteAsync(DumpFormat.Header(Database, collection, [], [], type).ToBson(), cancellationToken);
            foreach (var document in documents.Where(d => d.GetValue("db", BsonNull.Value) is BsonString { Value: var db } && OwnsUsers(db) && options.IncludeDatabase(db)))
            {
                await content.WriteAsync(document.ToBson(), cancellationToken);
            }

            content.Position = 0;
            await writer.AddFileAsync(options.FileNamePrefix + DumpFormat.FileName(index), options.Component, content, cancellationToken);
        }
    }
}
