using Archiver.Emulators.MongoDb;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>
/// Users and SCRAM, as a KubeDB database runs mongod with <c>--auth</c> and a root user from its auth secret: the
/// driver authenticates with SCRAM-SHA-256 (or SHA-1 when asked), a wrong password fails, and nothing but the
/// handshake, ping and buildInfo runs before authentication.
/// </summary>
[Trait("Target", "EmulatorOnly")]
public sealed class AuthenticationTests : IAsyncLifetime
{
    private const string Password = "p@ss:w/rd=,1";
    private MongoEmulator _emulator = null!;

    public async Task InitializeAsync() => _emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions
    {
        PeriodicNoopInterval = null,
        Users = new Dictionary<string, string> { ["root"] = Password },
    });

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [EmulatorOnlyFact]
    public async Task The_driver_authenticates_with_SCRAM_SHA_256_by_default_and_with_SCRAM_SHA_1_when_asked()
    {
        foreach (var mechanism in new[] { "SCRAM-SHA-256", "SCRAM-SHA-1", null })
        {
            var client = TestClients.Create(_emulator.ConnectionString, s => s.Credential = mechanism is null
                ? MongoCredential.CreateCredential("admin", "root", Password)
                : new MongoCredential(mechanism, new MongoInternalIdentity("admin", "root"), new PasswordEvidence(Password)));
            try
            {
                var coll = client.GetDatabase("d").GetCollection<BsonDocument>("c");
                await coll.InsertOneAsync(new BsonDocument("_id", mechanism ?? "default"));
                var status = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("connectionStatus", 1));

                Assert.Equal(new BsonDocument { { "user", "root" }, { "db", "admin" } }, status["authInfo"]["authenticatedUsers"][0]);
                Assert.Equal(1, await coll.CountDocumentsAsync(new BsonDocument("_id", mechanism ?? "default")));
            }
            finally
            {
                TestClients.Dispose(client);
            }
        }
    }

    [EmulatorOnlyFact]
    public async Task A_wrong_password_or_an_unknown_user_fails_authentication()
    {
        foreach (var (user, password) in new[] { ("root", "wrong"), ("nobody", Password) })
        {
            var client = TestClients.Create(_emulator.ConnectionString, s => s.Credential = MongoCredential.CreateCredential("admin", user, password));
            try
            {
                var error = await Assert.ThrowsAnyAsync<Exception>(() => client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1)));

                Assert.Contains("Authentication failed", error.ToString(), StringComparison.Ordinal);
            }
            finally
            {
                TestClients.Dispose(client);
            }
        }
    }

    [EmulatorOnlyFact]
    public async Task Without_credentials_only_ping_and_the_handshake_run_and_everything_else_is_Unauthorized()
    {
        var client = TestClients.Create(_emulator.ConnectionString);
        try
        {
            var ping = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1));
            var find = await Assert.ThrowsAsync<MongoCommandException>(() => client.GetDatabase("d").GetCollection<BsonDocument>("c").Find(FilterDefinition<BsonDocument>.Empty).ToListAsync());

            Assert.Equal(1.0, ping["ok"].ToDouble());
            Assert.Equal(13, find.Code);
            Assert.Contains("command find requires authentication", find.Message, StringComparison.Ordinal);
        }
        finally
        {
            TestClients.Dispose(client);
        }
    }
}
