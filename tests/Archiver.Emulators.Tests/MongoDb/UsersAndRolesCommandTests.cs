using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>
/// The user-management commands as mongod answers them: users and roles kept as documents of <c>admin.system.users</c> and
/// <c>admin.system.roles</c>, their writes logged as plain inserts, updates and deletes there, MongoDB's errors, and a
/// user so made able to authenticate on its database.
/// </summary>
[Trait("Target", "EmulatorOnly")]
public sealed class UsersAndRolesCommandTests : IAsyncLifetime
{
    private EmulatorSession _session = null!;

    private IMongoDatabase App => _session.Client.GetDatabase("app");

    public async Task InitializeAsync() => _session = await EmulatorSession.StartAsync();

    public async Task DisposeAsync() => await _session.DisposeAsync();

    [EmulatorOnlyFact]
    public async Task CreateUser_stores_MongoDBs_document_shape_and_usersInfo_lists_it_without_credentials()
    {
        await App.RunCommandAsync<BsonDocument>(new BsonDocument { { "createUser", "alice" }, { "pwd", "s3cret" }, { "roles", new BsonArray { "readWrite", new BsonDocument { { "role", "read" }, { "db", "other" } } } } });

        var stored = await SystemUsers().Find(new BsonDocument("_id", "app.alice")).SingleAsync();
        Assert.Equal(new[] { "_id", "userId", "user", "db", "credentials", "roles" }, stored.Names);
        Assert.Equal(BsonBinarySubType.UuidStandard, stored["userId"].AsBsonBinaryData.SubType);
        Assert.Equal(("alice", "app"), (stored["user"].AsString, stored["db"].AsString));
        foreach (var (mechanism, iterations) in new[] { ("SCRAM-SHA-1", 10_000), ("SCRAM-SHA-256", 15_000) })
        {
            var credential = stored["credentials"][mechanism].AsBsonDocument;
            Assert.Equal(new[] { "iterationCount", "salt", "storedKey", "serverKey" }, credential.Names);
            Assert.Equal(iterations, credential["iterationCount"].AsInt32);
        }

        Assert.DoesNotContain("s3cret", stored.ToJson(), StringComparison.Ordinal);
        Assert.Equal(new BsonArray { Role("readWrite", "app"), Role("read", "other") }, stored["roles"]);
        var info = await App.RunCommandAsync<BsonDocument>(new BsonDocument("usersInfo", 1));
        var user = info["users"].AsBsonArray.Single().AsBsonDocument;
        Assert.False(user.Contains("credentials"));
        Assert.Equal(new BsonArray { "SCRAM-SHA-1", "SCRAM-SHA-256" }, user["mechanisms"]);
        Assert.Equal("app.alice", user["_id"]);
    }

    [EmulatorOnlyFact]
    public async Task User_and_role_writes_are_logged_as_plain_inserts_updates_and_deletes_on_the_system_collections()
    {
        await App.RunCommandAsync<BsonDocument>(new BsonDocument { { "createRole", "auditor" }, { "privileges", Privileges("app") }, { "roles", new BsonArray() } });
        await App.RunCommandAsync<BsonDocument>(new BsonDocument { { "createUser", "bob" }, { "pwd", "pw" }, { "roles", new BsonArray { "read" } } });
        await App.RunCommandAsync<BsonDocument>(new BsonDocument { { "grantRolesToUser", "bob" }, { "roles", new BsonArray { "auditor" } } });
        await App.RunCommandAsync<BsonDocument>(new BsonDocument { { "grantRolesToUser", "bob" }, { "roles", new BsonArray { "auditor" } } });
        await App.RunCommandAsync<BsonDocument>(new BsonDocument("dropUser", "bob"));

        var entries = _session.Emulator.ReadOplog().Where(e => e["ns"].AsString.StartsWith("admin.", StringComparison.Ordinal)).ToList();
        var shapes = entries.Select(e => $"{e["op"]} {e["ns"]} {(e["op"] == "c" ? e["o"][0] : e["op"] == "u" ? e["o2"]["_id"] : e["o"]["_id"])}");
        Assert.Equal(
            new[]
            {
                "c admin.$cmd system.roles", "c admin.$cmd system.roles", "i admin.system.roles app.auditor",
                "c admin.$cmd system.users", "c admin.$cmd system.users", "i admin.system.users app.bob",
                "u admin.system.users app.bob", "d admin.system.users app.bob",
            },
            shapes);
        // A grant of a role already held changes nothing and logs nothing; a grant logs the whole new roles array.
        var update = entries.Single(e => e["op"] == "u");
        Assert.Equal(new BsonDocument { { "$v", 2 }, { "diff", new BsonDocument("u", new BsonDocument("roles", new BsonArray { Role("read", "app"), Role("auditor", "app") })) } }, update["o"]);
        Assert.Equal(new BsonDocument("_id", "app.bob"), update["o2"]);
        Assert.Equal("user_1_db_1", entries.Single(e => e["op"] == "c" && e["o"].AsBsonDocument.Contains("createIndexes") && e["o"][0] == "system.users")["o"]["name"]);
    }

    [EmulatorOnlyFact]
    public async Task Errors_are_MongoDBs()
    {
        await App.RunCommandAsync<BsonDocument>(new BsonDocument { { "createUser", "alice" }, { "pwd", "pw" }, { "roles", new BsonArray() } });
        await App.RunCommandAsync<BsonDocument>(new BsonDocument { { "createRole", "r" }, { "privileges", new BsonArray() }, { "roles", new BsonArray() } });

        await AssertFailsAsync(51003, "User \"alice@app\" already exists", new BsonDocument { { "createUser", "alice" }, { "pwd", "pw" }, { "roles", new BsonArray() } });
        await AssertFailsAsync(11, null, new BsonDocument("dropUser", "nobody"));
        await AssertFailsAsync(11, null, new BsonDocument { { "updateUser", "nobody" }, { "pwd", "x" } });
        await AssertFailsAsync(11, null, new BsonDocument { { "grantRolesToUser", "nobody" }, { "roles", new BsonArray { "read" } } });
        await AssertFailsAsync(31, "Could not find role: nope@app", new BsonDocument { { "createUser", "carol" }, { "pwd", "pw" }, { "roles", new BsonArray { "nope" } } });
        await AssertFailsAsync(31, null, new BsonDocument { { "grantRolesToUser", "alice" }, { "roles", new BsonArray { Role("root", "app") } } });
        await AssertFailsAsync(31, null, new BsonDocument("dropRole", "nope"));
        await AssertFailsAsync(51002, "Role \"r@app\" already exists", new BsonDocument { { "createRole", "r" }, { "privileges", new BsonArray() }, { "roles", new BsonArray() } });
        await AssertFailsAsync(2, null, new BsonDocument { { "createRole", "read" }, { "privileges", new BsonArray() }, { "roles", new BsonArray() } });
        await AssertFailsAsync(49, null, new BsonDocument { { "createRole", "wide" }, { "privileges", Privileges("other") }, { "roles", new BsonArray() } });
        await AssertFailsAsync(40414, null, new BsonDocument { { "createUser", "dave" }, { "pwd", "pw" } });
        await AssertFailsAsync(2, null, new BsonDocument { { "createUser", "erin" }, { "roles", new BsonArray() } });
        await AssertFailsAsync(2, null, new BsonDocument("updateUser", "alice"));
        Assert.Single((await App.RunCommandAsync<BsonDocument>(new BsonDocument("usersInfo", 1)))["users"].AsBsonArray);
    }

    [EmulatorOnlyFact]
    public async Task Roles_are_granted_revoked_updated_and_dropped_from_their_holders()
    {
        await App.RunCommandAsync<BsonDocument>(new BsonDocument { { "createRole", "base" }, { "privileges", Privileges("app") }, { "roles", new BsonArray() } });
        await App.RunCommandAsync<BsonDocument>(new BsonDocument { { "createRole", "top" }, { "privileges", new BsonArray() }, { "roles", new BsonArray { "base" } } });
        await App.RunCommandAsync<BsonDocument>(new BsonDocument { { "createUser", "alice" }, { "pwd", "pw" }, { "roles", new BsonArray { "base", "read" } } });
        await App.RunCommandAsync<BsonDocument>(new BsonDocument { { "revokeRolesFromUser", "alice" }, { "roles", new BsonArray { "read" } } });
        await App.RunCommandAsync<BsonDocument>(new BsonDocument { { "grantPrivilegesToRole", "top" }, { "privileges", Privileges("app") } });

        var info = await App.RunCommandAsync<BsonDocument>(new BsonDocument { { "rolesInfo", "top" }, { "showPrivileges", true } });
        Assert.Equal(new BsonArray { Role("base", "app") }, info["roles"][0]["inheritedRoles"]);
        Assert.Equal(Privileges("app"), info["roles"][0]["privileges"]);
        await App.RunCommandAsync<BsonDocument>(new BsonDocument("dropRole", "base"));

        Assert.Equal(new BsonArray(), (await SystemUsers().Find(new BsonDocument("_id", "app.alice")).SingleAsync())["roles"]);
        var roles = await _session.Client.GetDatabase("admin").GetCollection<BsonDocument>("system.roles").Find(FilterDefinition<BsonDocument>.Empty).ToListAsync();
        Assert.Equal(new BsonArray(), roles.Single()["roles"]);
        Assert.Equal("app.top", roles.Single()["_id"]);
    }

    [EmulatorOnlyFact]
    public async Task A_created_user_authenticates_on_its_database_with_its_password_and_not_after_a_password_change()
    {
        await App.RunCommandAsync<BsonDocument>(new BsonDocument { { "createUser", "alice" }, { "pwd", "first" }, { "roles", new BsonArray { "readWrite" } } });

        Assert.Equal(new BsonDocument { { "user", "alice" }, { "db", "app" } }, await AuthenticatedAsAsync("app", "alice", "first"));
        await App.RunCommandAsync<BsonDocument>(new BsonDocument { { "updateUser", "alice" }, { "pwd", "second" } });

        await Assert.ThrowsAnyAsync<Exception>(() => AuthenticatedAsAsync("app", "alice", "first"));
        await Assert.ThrowsAnyAsync<Exception>(() => AuthenticatedAsAsync("admin", "alice", "second"));
        Assert.Equal(new BsonDocument { { "user", "alice" }, { "db", "app" } }, await AuthenticatedAsAsync("app", "alice", "second"));
    }

    private async Task<BsonValue> AuthenticatedAsAsync(string database, string user, string password)
    {
        var client = TestClients.Create(_session.Emulator.ConnectionString, s => s.Credential = MongoCredential.CreateCredential(database, user, password));
        try
        {
            var status = await client.GetDatabase(database).RunCommandAsync<BsonDocument>(new BsonDocument("connectionStatus", 1));
            return status["authInfo"]["authenticatedUsers"][0];
        }
        finally
        {
            TestClients.Dispose(client);
        }
    }

    private async Task AssertFailsAsync(int code, string? message, BsonDocument command)
    {
        var error = await Assert.ThrowsAsync<MongoCommandException>(() => App.RunCommandAsync<BsonDocument>(command));
        Assert.Equal(code, error.Code);
        if (message is not null) Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private IMongoCollection<BsonDocument> SystemUsers() => _session.Client.GetDatabase("admin").GetCollection<BsonDocument>("system.users");

    private static BsonDocument Role(string role, string db) => new() { { "role", role }, { "db", db } };

    private static BsonArray Privileges(string db) =>
        [new BsonDocument { { "resource", new BsonDocument { { "db", db }, { "collection", "" } } }, { "actions", new BsonArray { "find" } } }];
}
