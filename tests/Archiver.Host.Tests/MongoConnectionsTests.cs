using System.Text.Json;
using Archiver.Actors.Embedded;
using Archiver.Actors.Ports;
using Archiver.Emulators.MongoDb;
using Archiver.Host.Adapters;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using k8s.Models;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Tests;

/// <summary>
/// How a node finds a database's connection: the connection-secret annotation when there is one, otherwise KubeDB's
/// conventions (auth secret, primary service, replica set name). Checked on the client's settings: nothing connects.
/// </summary>
public sealed class MongoConnectionsTests : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("archiver-connections-").FullName;
    private readonly SecretFolder _secrets;
    private readonly MongoConnections _connections;

    public MongoConnectionsTests()
    {
        _secrets = new SecretFolder(_folder);
        _connections = new MongoConnections(new InMemoryResourceStore(), _secrets);
    }

    [Fact]
    public async Task A_KubeDB_database_is_reached_through_its_service_with_its_auth_secret()
    {
        _secrets.Write(new ResourceId("demo", "mg-rs-auth"), "username", "root");
        _secrets.Write(new ResourceId("demo", "mg-rs-auth"), "password", "p@ss:w/rd?&");

        var settings = (await _connections.ClientForAsync(Database(replicaSet: "rs0"))).Settings;

        Assert.Equal("mg-rs.demo.svc", Assert.Single(settings.Servers).Host);
        Assert.Equal(27017, settings.Servers.Single().Port);
        Assert.Equal("rs0", settings.ReplicaSetName);
        Assert.Equal("root", settings.Credential.Username);
        Assert.Equal("admin", settings.Credential.Source);
    }

    [Fact]
    public async Task A_named_auth_secret_is_used_and_a_standalone_gets_no_replica_set()
    {
        _secrets.Write(new ResourceId("demo", "custom-auth"), "username", "backup");
        _secrets.Write(new ResourceId("demo", "custom-auth"), "password", "x");

        var settings = (await _connections.ClientForAsync(Database(authSecret: "custom-auth"))).Settings;

        Assert.Equal("backup", settings.Credential.Username);
        Assert.Null(settings.ReplicaSetName);
    }

    [Fact]
    public async Task The_connection_secret_annotation_wins_over_the_conventions()
    {
        _secrets.Write(new ResourceId("demo", "mg-rs-auth"), "username", "root");
        _secrets.Write(new ResourceId("demo", "mg-rs-auth"), "password", "x");
        _secrets.Write(new ResourceId("demo", "direct"), MongoConnections.UriKey, "mongodb://elsewhere:27018/?replicaSet=other");

        var settings = (await _connections.ClientForAsync(Database(replicaSet: "rs0", connectionSecret: "direct"))).Settings;

        Assert.Equal("elsewhere", Assert.Single(settings.Servers).Host);
        Assert.Equal("other", settings.ReplicaSetName);
    }

    [Fact]
    public async Task Without_either_the_error_names_both_ways_and_no_value()
    {
        _secrets.Write(new ResourceId("demo", "mg-rs-auth"), "username", "root");

        var error = await Assert.ThrowsAsync<SecretNotFoundException>(() => _connections.ClientForAsync(Database(replicaSet: "rs0")));

        Assert.Contains($"metadata.annotations[{MongoConnections.ConnectionSecretAnnotation}]", error.Message);
        Assert.Contains("secret demo/mg-rs-auth has no key 'password'", error.Message);
        Assert.DoesNotContain("root", error.Message);
    }

    [Fact]
    public async Task A_TLS_database_is_reached_over_TLS_with_the_client_certificate_KubeDB_issued_it()
    {
        using var ca = new TestCertificateAuthority();
        await using var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions
        {
            PeriodicNoopInterval = null,
            Tls = new MongoEmulatorTls(ca.IssueServer().Certificate, ca.CaCertificate),
        });
        // The emulator's address comes from the annotation; the TLS settings from KubeDB's client-cert secret alone.
        _secrets.Write(new ResourceId("demo", "direct"), MongoConnections.UriKey, emulator.ConnectionString.Replace("&tls=true", "", StringComparison.Ordinal));
        WriteClientCertificate(ca, "mg-rs-client-cert");

        var client = await _connections.ClientForAsync(Database(connectionSecret: "direct", sslMode: "requireSSL"));

        Assert.True(client.Settings.UseTls);
        Assert.Equal("CN=root, O=kubedb:client", Assert.Single(client.Settings.SslSettings.ClientCertificates).Subject);
        Assert.Equal("rs0", await MongoConnections.ReplicaSetNameAsync(client, CancellationToken.None));
    }

    [Fact]
    public async Task A_TLS_database_without_its_client_certificate_names_the_secret()
    {
        _secrets.Write(new ResourceId("demo", "mg-rs-auth"), "username", "root");
        _secrets.Write(new ResourceId("demo", "mg-rs-auth"), "password", "x");

        var error = await Assert.ThrowsAsync<SecretNotFoundException>(() => _connections.ClientForAsync(Database(replicaSet: "rs0", sslMode: "requireSSL")));

        Assert.StartsWith("MongoDB demo/mg-rs uses TLS (spec.sslMode) and its client certificate cannot be read: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("demo/mg-rs-client-cert", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_certificate_secret_with_a_key_that_does_not_match_is_refused_by_name()
    {
        using var ca = new TestCertificateAuthority();
        _secrets.Write(new ResourceId("demo", "mg-rs-auth"), "username", "root");
        _secrets.Write(new ResourceId("demo", "mg-rs-auth"), "password", "x");
        WriteClientCertificate(ca, "mg-rs-client-cert");
        _secrets.Write(new ResourceId("demo", "mg-rs-client-cert"), MongoDBResource.TlsPrivateKeyKey, ca.IssueClient().PrivateKeyPem);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _connections.ClientForAsync(Database(replicaSet: "rs0", sslMode: "preferSSL")));

        Assert.StartsWith("MongoDB demo/mg-rs: secret demo/mg-rs-client-cert (ca.crt, tls.crt, tls.key): the client certificate and private key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", error.Message, StringComparison.Ordinal);
    }

    private void WriteClientCertificate(TestCertificateAuthority ca, string secret)
    {
        var client = ca.IssueClient();
        var id = new ResourceId("demo", secret);
        _secrets.Write(id, MongoDBResource.TlsCaKey, ca.CaPem);
        _secrets.Write(id, MongoDBResource.TlsCertificateKey, client.CertificatePem);
        _secrets.Write(id, MongoDBResource.TlsPrivateKeyKey, client.PrivateKeyPem);
    }

    public async ValueTask DisposeAsync()
    {
        await _connections.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private static MongoDBResource Database(string? replicaSet = null, string? authSecret = null, string? connectionSecret = null, string? sslMode = null)
    {
        var other = new Dictionary<string, JsonElement>();
        if (sslMode is not null)
        {
            other["sslMode"] = JsonSerializer.SerializeToElement(sslMode);
            other["tls"] = JsonSerializer.SerializeToElement(new { issuerRef = new { name = "mongo-ca-issuer", kind = "Issuer", apiGroup = "cert-manager.io" } });
        }

        if (replicaSet is not null) other["replicaSet"] = JsonSerializer.SerializeToElement(new { name = replicaSet });
        if (authSecret is not null) other["authSecret"] = JsonSerializer.SerializeToElement(new { name = authSecret });
        return new MongoDBResource
        {
            ApiVersion = MongoDBResource.ApiVersionName,
            Kind = MongoDBResource.KindName,
            Metadata = new V1ObjectMeta
            {
                Name = "mg-rs",
                NamespaceProperty = "demo",
                Annotations = connectionSecret is null ? null : new Dictionary<string, string> { [MongoConnections.ConnectionSecretAnnotation] = connectionSecret },
            },
            Spec = new MongoDBSpec { Other = other },
        };
    }
}
