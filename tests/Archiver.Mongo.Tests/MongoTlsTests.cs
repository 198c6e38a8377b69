using Archiver.Emulators.MongoDb;
using Archiver.Mongo.Connections;
using MongoDB.Bson;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// Reaching a replica set that requires TLS with a private CA and client certificates, as a KubeDB database with
/// <c>sslMode: requireSSL</c> does. The server is an emulator speaking real TLS, or the real replica set named by
/// <c>ARCHIVER_TEST_MONGODB_TLS_URI</c> with <c>ca.crt</c>, <c>tls.crt</c> and <c>tls.key</c> in the folder
/// <c>ARCHIVER_TEST_MONGODB_TLS_DIR</c>; the refusals need certificates the test makes, so they run on the emulator.
/// </summary>
public sealed class MongoTlsTests : IAsyncLifetime
{
    private static readonly string? RealUri = Environment.GetEnvironmentVariable("ARCHIVER_TEST_MONGODB_TLS_URI") is { Length: > 0 } uri ? uri : null;

    private readonly TestCertificateAuthority _ca = new();
    private MongoEmulator? _emulator;
    private MongoTlsMaterial _material = null!;
    private string _uri = null!;

    public async Task InitializeAsync()
    {
        if (RealUri is not null)
        {
            var folder = Environment.GetEnvironmentVariable("ARCHIVER_TEST_MONGODB_TLS_DIR")
                ?? throw new InvalidOperationException("ARCHIVER_TEST_MONGODB_TLS_URI needs ARCHIVER_TEST_MONGODB_TLS_DIR");
            _material = new MongoTlsMaterial(Read(folder, "ca.crt"), Read(folder, "tls.crt"), Read(folder, "tls.key"));
            _uri = RealUri;
            return;
        }

        var client = _ca.IssueClient();
        _material = new MongoTlsMaterial(_ca.CaPem, client.CertificatePem, client.PrivateKeyPem);
        _emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions
        {
            PeriodicNoopInterval = null,
            Tls = new MongoEmulatorTls(_ca.IssueServer().Certificate, _ca.CaCertificate),
        });
        _uri = _emulator.ConnectionString;
    }

    [Fact]
    public async Task A_client_with_the_CA_and_its_certificate_reads_and_writes_over_TLS()
    {
        var client = TestClients.Create(_uri, s => MongoTls.Apply(s, _material));
        try
        {
            var collection = client.GetDatabase(MongoTarget.NewDatabaseName("tls")).GetCollection<BsonDocument>("c");
            await collection.InsertOneAsync(new BsonDocument { { "_id", 1 }, { "secret", "over the wire encrypted" } });

            var found = await collection.Find(new BsonDocument("_id", 1)).SingleAsync();
            Assert.Equal("over the wire encrypted", found["secret"].AsString);
            Assert.True(client.Settings.UseTls);
            Assert.NotEmpty(await ReplicaSetNameAsync(client));
        }
        finally
        {
            TestClients.Dispose(client);
        }
    }

    [EmulatorOnlyFact]
    public async Task A_server_whose_certificate_another_CA_issued_is_refused()
    {
        using var other = new TestCertificateAuthority("someone-else");
        var mine = other.IssueClient();
        var error = await FailsAsync(s => MongoTls.Apply(s, new MongoTlsMaterial(other.CaPem, mine.CertificatePem, mine.PrivateKeyPem)));

        Assert.Contains("RemoteCertificateValidationCallback", error.Message, StringComparison.Ordinal);
    }

    [EmulatorOnlyFact]
    public async Task A_client_without_a_certificate_is_refused_by_the_server()
    {
        // Trusts the server's CA but presents nothing: mongod with --tlsCAFile asks for a client certificate.
        var error = await FailsAsync(s =>
        {
            MongoTls.Apply(s, _material);
            s.SslSettings.ClientCertificates = [];
        });

        Assert.IsType<TimeoutException>(error);
        // The server refused, not the client.
        Assert.DoesNotContain("RemoteCertificateValidationCallback", error.Message, StringComparison.Ordinal);
        Assert.True(_emulator!.TlsHandshakesFailed > 0);
    }

    [EmulatorOnlyFact]
    public async Task A_plain_connection_gets_nothing_from_a_TLS_only_server()
    {
        var error = await FailsAsync(_ => { });

        Assert.IsType<TimeoutException>(error);
        Assert.True(_emulator!.TlsHandshakesFailed > 0);
    }

    [EmulatorOnlyFact]
    public async Task A_server_certificate_for_another_name_or_for_clients_only_is_refused()
    {
        foreach (var certificate in new[] { _ca.IssueServer("db.elsewhere.svc", withLoopbackAddress: false), _ca.IssueServer(forClientsOnly: true) })
        {
            await using var server = await MongoEmulator.StartAsync(new MongoEmulatorOptions
            {
                PeriodicNoopInterval = null,
                Tls = new MongoEmulatorTls(certificate.Certificate, _ca.CaCertificate),
            });

            var error = await FailsAsync(s => MongoTls.Apply(s, _material), server.ConnectionString);

            Assert.Contains("RemoteCertificateValidationCallback", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_material_never_prints_its_private_key()
    {
        Assert.DoesNotContain("PRIVATE KEY", _material.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_material.PrivateKeyPem, $"{_material}", StringComparison.Ordinal);
    }

    [Fact]
    public void Pem_text_that_makes_no_certificate_is_refused_saying_which_part()
    {
        var settings = new MongoClientSettings();

        var noCa = Assert.Throws<FormatException>(() => MongoTls.Apply(settings, _material with { CaPem = "not a certificate" }));
        var wrongKey = Assert.Throws<FormatException>(() => MongoTls.Apply(settings, _material with { PrivateKeyPem = _ca.IssueClient().PrivateKeyPem }));

        Assert.Equal("the CA certificate holds no PEM certificate", noCa.Message);
        Assert.StartsWith("the client certificate and private key do not make a certificate with a private key", wrongKey.Message, StringComparison.Ordinal);
        Assert.False(settings.UseTls);
    }

    public async Task DisposeAsync()
    {
        if (_emulator is not null) await _emulator.DisposeAsync();
        _ca.Dispose();
    }

    private async Task<Exception> FailsAsync(Action<MongoClientSettings> configure, string? uri = null)
    {
        var client = TestClients.Create(uri ?? _uri, s =>
        {
            s.ServerSelectionTimeout = TimeSpan.FromSeconds(2);
            configure(s);
        });
        try
        {
            return await Assert.ThrowsAnyAsync<Exception>(() => client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1)));
        }
        finally
        {
            TestClients.Dispose(client);
        }
    }

    private static async Task<string> ReplicaSetNameAsync(IMongoClient client) =>
        (await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1)))["setName"].AsString;

    private static string Read(string folder, string name) => File.ReadAllText(Path.Combine(folder, name));
}
