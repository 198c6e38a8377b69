using Archiver.Mongo.Restore;
using Archiver.Storage.Catalog;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// Users and roles travel with their database: backed up with the full backup, their changes replayed from the oplog up
/// to the target, written under the mapped database name, and left out when asked.
/// </summary>
public sealed class UsersAndRolesRestoreTests : IClassFixture<MongoTarget>
{
    private readonly MongoTarget _mongo;

    public UsersAndRolesRestoreTests(MongoTarget mongo) => _mongo = mongo;

    [Fact]
    public async Task A_user_created_its_roles_changed_and_a_user_dropped_around_the_target_time_come_back_as_they_were_at_T()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("users");
        var other = source + "_o";
        var restored = source + "_r";
        await using var run = await StartArchiverAsync(repository);
        var db = _mongo.Client.GetDatabase(source);
        await db.GetCollection<BsonDocument>("c").InsertOneAsync(new BsonDocument("_id", 1));
        await RunAsync(source, new BsonDocument { { "createRole", "auditor" }, { "privileges", Find(source) }, { "roles", new BsonArray() } });
        await RunAsync(source, new BsonDocument { { "createUser", "bob" }, { "pwd", "bob-pw" }, { "roles", new BsonArray { "read" } } });
        await RunAsync(source, new BsonDocument { { "createUser", "dora" }, { "pwd", "dora-pw" }, { "roles", new BsonArray { "auditor" } }, { "customData", new BsonDocument("db", source) } });
        await RunAsync(other, new BsonDocument { { "createUser", "olga" }, { "pwd", "olga-pw" }, { "roles", new BsonArray { "read" } } });
        await BackupAsync(repository, source, usersAndRoles: true);

        // Around the target: a user made and its roles changed, another dropped, a role made; a user of another database.
        await RunAsync(source, new BsonDocument { { "createUser", "alice" }, { "pwd", "before" }, { "roles", new BsonArray { "read", new BsonDocument { { "role", "read" }, { "db", other } } } } });
        await RunAsync(source, new BsonDocument { { "grantRolesToUser", "alice" }, { "roles", new BsonArray { "auditor" } } });
        await RunAsync(source, new BsonDocument("dropUser", "bob"));
        await RunAsync(source, new BsonDocument { { "createRole", "reporter" }, { "privileges", Find(source) }, { "roles", new BsonArray { "auditor" } } });
        await RunAsync(other, new BsonDocument { { "createUser", "oscar" }, { "pwd", "oscar-pw" }, { "roles", new BsonArray { "read" } } });
        var at = await Oplog.NewestAsync(_mongo.Client);
        var expected = await UsersAndRolesAsync(source);

        await RunAsync(source, new BsonDocument { { "updateUser", "alice" }, { "pwd", "after" }, { "roles", new BsonArray { "readWrite" } } });
        await RunAsync(source, new BsonDocument("dropUser", "dora"));
        await RunAsync(source, new BsonDocument { { "createUser", "carol" }, { "pwd", "carol-pw" }, { "roles", new BsonArray() } });
        await RunAsync(source, new BsonDocument("dropRole", "reporter"));
        await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));

        var report = await RestoreAsync(repository, source, restored, RecoveryTarget.AtTs(at), usersAndRoles: true);

        // As at T, under the new name: _id, db and role references mapped; credentials, userId and customData as they were.
        var (users, roles) = await UsersAndRolesAsync(restored);
        Assert.Equal(Mapped(expected.Users, source, restored), users);
        Assert.Equal(Mapped(expected.Roles, source, restored), roles);
        Assert.Equal(new[] { $"{restored}.alice", $"{restored}.dora" }, users.Select(u => u["_id"].AsString));
        Assert.Equal(new BsonArray { Role("read", restored), Role("read", other), Role("auditor", restored) }, users[0]["roles"]);
        Assert.Equal(new BsonDocument("db", source), users[1]["customData"]);
        Assert.Equal(new[] { $"{restored}.auditor", $"{restored}.reporter" }, report.RolesRestored);
        Assert.Equal(new[] { $"{restored}.alice", $"{restored}.dora" }, report.UsersRestored);
        Assert.True(report.Skipped.GetValueOrDefault("admin.system.users") >= 1, string.Join(", ", report.Skipped));
        Assert.Empty(await UsersOfAsync(other + "_r"));

        // The restored alice logs in on the restored database with the password she had at T, not the later one.
        await AuthenticateAsync(restored, "alice", "before");
        await Assert.ThrowsAnyAsync<Exception>(() => AuthenticateAsync(restored, "alice", "after"));
    }

    [Fact]
    public async Task With_users_and_roles_turned_off_none_is_restored_and_the_report_counts_them_skipped()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("nousers");
        await using var run = await StartArchiverAsync(repository);
        await _mongo.Client.GetDatabase(source).GetCollection<BsonDocument>("c").InsertOneAsync(new BsonDocument("_id", 1));
        await RunAsync(source, new BsonDocument { { "createUser", "bob" }, { "pwd", "bob-pw" }, { "roles", new BsonArray { "read" } } });
        await BackupAsync(repository, source, usersAndRoles: true);
        await RunAsync(source, new BsonDocument { { "createRole", "auditor" }, { "privileges", Find(source) }, { "roles", new BsonArray() } });
        await RunAsync(source, new BsonDocument { { "createUser", "alice" }, { "pwd", "alice-pw" }, { "roles", new BsonArray { "auditor" } } });
        await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));

        var report = await RestoreAsync(repository, source, source + "_r", RecoveryTarget.Latest, usersAndRoles: false);

        Assert.Empty(await UsersOfAsync(source + "_r"));
        Assert.Empty((await UsersAndRolesAsync(source + "_r")).Roles);
        Assert.Empty(report.UsersRestored);
        Assert.Equal(2, report.Skipped["admin.system.users"]);
        Assert.Equal(1, report.Skipped["admin.system.roles"]);
        Assert.Equal(1, await _mongo.Client.GetDatabase(source + "_r").GetCollection<BsonDocument>("c").CountDocumentsAsync(FilterDefinition<BsonDocument>.Empty));
    }

    [Fact]
    public async Task A_backup_taken_without_users_and_roles_restores_only_the_later_changes()
    {
        using var repository = new TestRepository();
        var source = MongoTarget.NewDatabaseName("lateusers");
        await using var run = await StartArchiverAsync(repository);
        await _mongo.Client.GetDatabase(source).GetCollection<BsonDocument>("c").InsertOneAsync(new BsonDocument("_id", 1));
        await RunAsync(source, new BsonDocument { { "createUser", "bob" }, { "pwd", "bob-pw" }, { "roles", new BsonArray { "read" } } });
        await BackupAsync(repository, source, usersAndRoles: false);
        await RunAsync(source, new BsonDocument { { "createUser", "alice" }, { "pwd", "alice-pw" }, { "roles", new BsonArray { "read" } } });
        await run.WaitArchivedAsync(await Oplog.NewestAsync(_mongo.Client));

        var report = await RestoreAsync(repository, source, source + "_r", RecoveryTarget.Latest, usersAndRoles: true);

        Assert.Equal(new[] { $"{source}_r.alice" }, (await UsersOfAsync(source + "_r")).Select(u => u["_id"].AsString));
        Assert.Equal(new[] { $"{source}_r.alice" }, report.UsersRestored);
    }

    private Task RunAsync(string database, BsonDocument command) => _mongo.Client.GetDatabase(database).RunCommandAsync<BsonDocument>(command);

    private async Task<(List<BsonDocument> Users, List<BsonDocument> Roles)> UsersAndRolesAsync(string database) =>
        (await UsersOfAsync(database), await DocumentsOfAsync("system.roles", database));

    private Task<List<BsonDocument>> UsersOfAsync(string database) => DocumentsOfAsync("system.users", database);

    private async Task<List<BsonDocument>> DocumentsOfAsync(string collection, string database) =>
        await _mongo.Client.GetDatabase("admin").GetCollection<BsonDocument>(collection).Find(new BsonDocument("db", database)).Sort(new BsonDocument("_id", 1)).ToListAsync();

    /// <summary>The documents as the mapping should make them: every string that is exactly the source's name (ids' prefixes too) renamed, customData kept.</summary>
    private static List<BsonDocument> Mapped(List<BsonDocument> documents, string source, string restored) =>
        [.. documents.Select(d =>
        {
            var copy = d.DeepClone().AsBsonDocument;
            copy["_id"] = restored + d["_id"].AsString[source.Length..];
            copy["db"] = restored;
            foreach (var field in new[] { "roles", "privileges" })
            {
                if (!copy.Contains(field)) continue;
                copy[field] = BsonArray.Create(copy[field].AsBsonArray.Select(v => BsonDocument.Parse(v.ToJson().Replace($"\"{source}\"", $"\"{restored}\"", StringComparison.Ordinal))));
            }

            return copy;
        })];

    private async Task AuthenticateAsync(string database, string user, string password)
    {
        var client = TestClients.Create(ConnectionString(), s => s.Credential = MongoCredential.CreateCredential(database, user, password));
        try
        {
            await client.GetDatabase(database).RunCommandAsync<BsonDocument>(new BsonDocument("connectionStatus", 1));
        }
        finally
        {
            TestClients.Dispose(client);
        }
    }

    private string ConnectionString() => MongoTarget.RealServerUri ?? _mongo.Emulator!.ConnectionString;

    private Task<ArchiverRun> StartArchiverAsync(TestRepository repository) => SameServer.StartArchiverAsync(_mongo.Client, repository);

    private Task BackupAsync(TestRepository repository, string database, bool usersAndRoles) =>
        SameServer.BackupAsync(_mongo.Client, repository, d => d == database, usersAndRoles);

    private Task<RestoreReport> RestoreAsync(TestRepository repository, string source, string restored, RecoveryTarget target, bool usersAndRoles) =>
        SameServer.RestoreAsync(_mongo.Client, repository, source, restored, target, adjust: o => o with { RecordLineage = false, RestoreUsersAndRoles = usersAndRoles });

    private static BsonDocument Role(string role, string db) => new() { { "role", role }, { "db", db } };

    private static BsonArray Find(string db) =>
        [new BsonDocument { { "resource", new BsonDocument { { "db", db }, { "collection", "" } } }, { "actions", new BsonArray { "find" } } }];
}
