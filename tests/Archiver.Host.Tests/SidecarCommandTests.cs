using Archiver.Emulators.MongoDb;
using Archiver.Host.Adapters;
using Archiver.Host.Cli;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Host.Tests;

/// <summary><c>archiver sidecar</c>: archives a replica set's oplog into a folder until stopped; refuses bad configuration.</summary>
public sealed class SidecarCommandTests
{
    [Fact]
    public async Task The_sidecar_archives_writes_into_the_folder_and_stops_on_cancel()
    {
        await using var mongo = await MongoEmulator.StartAsync(new MongoEmulatorOptions());
        var folder = Directory.CreateTempSubdirectory("archiver-sidecar-").FullName;
        var uriFile = Path.Combine(folder, "uri");
        await File.WriteAllTextAsync(uriFile, mongo.ConnectionString);
        var client = new MongoClient(mongo.ConnectionString);
        try
        {
            using var stop = new CancellationTokenSource();
            var sidecar = CliRun.RunAsync(stop.Token, "sidecar", "--mongodb-uri-file", uriFile, "--storage-folder", Path.Combine(folder, "repo"), "--prefix", "db/MongoDB/demo/mg-rs", "--database-uid", "uid-1", "--status-interval", "1");
            await client.GetDatabase("shop").GetCollection<BsonDocument>("orders").InsertManyAsync(Enumerable.Range(0, 100).Select(i => new BsonDocument("_id", i)));
            var chunks = Path.Combine(folder, "repo", "db", "MongoDB", "demo", "mg-rs", "oplog", "rs0");
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!(Directory.Exists(chunks) && Directory.EnumerateFiles(chunks, "*.oplog", SearchOption.AllDirectories).Any()) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            await stop.CancelAsync();
            var run = await sidecar;

            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Contains("archiving rs0 into db/MongoDB/demo/mg-rs (timeline 1)", run.Output);
            Assert.Contains("\"phase\":\"Streaming\"", run.Output);
            Assert.NotEmpty(Directory.EnumerateFiles(chunks, "*.oplog", SearchOption.AllDirectories));
        }
        finally
        {
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Sidecars_in_every_member_archive_one_stream_from_the_primary_and_the_new_primarys_takes_over_after_a_failover()
    {
        await using var mongo = await MongoEmulator.StartAsync(new MongoEmulatorOptions { Members = 3, PeriodicNoopInterval = null });
        var folder = Directory.CreateTempSubdirectory("archiver-sidecars-").FullName;
        var client = new MongoClient(mongo.ConnectionString);
        using var stop = new CancellationTokenSource();
        var sidecars = new List<(StringWriter Output, StringWriter Error, Task<int> Exit)>();
        try
        {
            // As in a pod: each sidecar reaches its own member only.
            for (var member = 0; member < 3; member++)
            {
                var uriFile = Path.Combine(folder, $"uri-{member}");
                await File.WriteAllTextAsync(uriFile, $"mongodb://{mongo.Hosts[member]}/?directConnection=true");
                var (output, error) = (new StringWriter(), new StringWriter());
                sidecars.Add((output, error, ArchiverCli.RunAsync(
                    ["sidecar", "--mongodb-uri-file", uriFile, "--storage-folder", Path.Combine(folder, "repo"), "--prefix", "db/MongoDB/demo/mg-rs", "--database-uid", "uid-1", "--status-interval", "1"],
                    TextWriter.Synchronized(output), TextWriter.Synchronized(error), stop.Token)));
            }

            var orders = client.GetDatabase("shop").GetCollection<BsonDocument>("orders");
            await orders.InsertManyAsync(Enumerable.Range(0, 50).Select(i => new BsonDocument("_id", i)));
            await ArchivedAsync(mongo.LastAppliedTimestamp);
            var first = mongo.PrimaryIndex;

            mongo.StepUp((first + 1) % 3);
            await orders.InsertManyAsync(Enumerable.Range(50, 50).Select(i => new BsonDocument("_id", i)));
            var history = await ArchivedAsync(mongo.LastAppliedTimestamp);

            // One writer at a time: every chunk continues the one before it exactly (two writers would overlap), in one run.
            var chunks = history.AllChunks().ToArray();
            Assert.True(chunks.Length >= 2, $"{chunks.Length} chunks");
            Assert.All(chunks.Zip(chunks.Skip(1)), pair => Assert.Equal(pair.Item1.Last, pair.Item2.Previous));
            Assert.Single(history.Runs);
            string Said(int member) => sidecars[member].Output.ToString();
            // The old primary's sidecar learns it at its next cut, when it asks before publishing.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!Said(first).Contains("no longer the primary", StringComparison.Ordinal) && DateTime.UtcNow < deadline) await Task.Delay(100);
            Assert.Contains("no longer the primary", Said(first), StringComparison.Ordinal);
            Assert.Contains("archiving rs0 into", Said((first + 1) % 3), StringComparison.Ordinal);
            Assert.DoesNotContain("archiving rs0 into", Said((first + 2) % 3), StringComparison.Ordinal);
            Assert.Contains("standby: this member of rs0 is not the primary", Said((first + 2) % 3), StringComparison.Ordinal);
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var (output, error, exit) in sidecars) Assert.True(await exit == 0, $"{error}\n{output}");
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
            Directory.Delete(folder, recursive: true);
        }

        async Task<Storage.Catalog.ComponentHistory> ArchivedAsync(BsonTimestamp last)
        {
            var until = Mongo.OplogFields.ToStorage(last);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                var catalog = await Storage.Catalog.RepositoryCatalog.LoadAsync(new Storage.Backends.LocalFolderStore(Path.Combine(folder, "repo")), new Storage.Layout.RepositoryLayout("db/MongoDB/demo/mg-rs"));
                var history = catalog.Timeline(1).Component("rs0");
                if (history.Runs.Count > 0 && history.Runs[^1].End >= until) return history;
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"not archived up to {until} within 20 s");
                await Task.Delay(100);
            }
        }
    }

    [Theory]
    [InlineData("mongodb://localhost:27017/?directConnection=true", "root", "root")]
    [InlineData("mongodb://app:pw@localhost:27017/?authSource=admin", "root", "app")] // the string's own credentials win
    [InlineData("mongodb://localhost:27017/", null, null)]
    public void Credentials_from_the_environment_are_used_when_the_string_has_none(string uri, string? username, string? expected)
    {
        var settings = SidecarCommand.ClientSettings(uri, username, "p@ss:w/rd?");

        Assert.Equal(expected, settings.Credential?.Username);
        if (expected == "root")
        {
            Assert.Equal("admin", settings.Credential!.Source);
        }
    }

    [Fact]
    public async Task The_tls_variables_connect_over_TLS_and_a_partial_set_is_refused_by_name()
    {
        using var ca = new TestCertificateAuthority();
        var certificate = ca.IssueClient();
        await using var mongo = await MongoEmulator.StartAsync(new MongoEmulatorOptions
        {
            PeriodicNoopInterval = null,
            Tls = new MongoEmulatorTls(ca.IssueServer().Certificate, ca.CaCertificate),
        });
        var variables = new Dictionary<string, string>
        {
            ["MONGODB_TLS_CA"] = ca.CaPem,
            ["MONGODB_TLS_CERT"] = certificate.CertificatePem,
            ["MONGODB_TLS_KEY"] = certificate.PrivateKeyPem,
        };

        var settings = SidecarCommand.ClientSettings(mongo.ConnectionString.Replace("&tls=true", "", StringComparison.Ordinal), null, null, SidecarCommand.TlsFromEnvironment(variables.GetValueOrDefault));
        var client = new MongoClient(settings);
        try
        {
            Assert.Equal("rs0", await MongoConnections.ReplicaSetNameAsync(client, CancellationToken.None));
        }
        finally
        {
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
        }

        Assert.Null(SidecarCommand.TlsFromEnvironment(_ => null));
        variables.Remove("MONGODB_TLS_KEY");
        var partial = Assert.Throws<CommandFailure>(() => SidecarCommand.TlsFromEnvironment(variables.GetValueOrDefault));
        Assert.EndsWith("missing: $MONGODB_TLS_KEY", partial.Message, StringComparison.Ordinal);
        variables["MONGODB_TLS_KEY"] = ca.IssueClient().PrivateKeyPem;
        var mismatched = Assert.Throws<CommandFailure>(() => SidecarCommand.ClientSettings("mongodb://localhost/", null, null, SidecarCommand.TlsFromEnvironment(variables.GetValueOrDefault)));
        Assert.Contains("the client certificate and private key do not make a certificate", mismatched.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Over_TLS_the_sidecar_reconnects_with_a_renewed_certificate_and_archives_on()
    {
        using var ca = new TestCertificateAuthority();
        await using var mongo = await MongoEmulator.StartAsync(new MongoEmulatorOptions { Tls = new MongoEmulatorTls(ca.IssueServer().Certificate, ca.CaCertificate) });
        var folder = Directory.CreateTempSubdirectory("archiver-sidecar-tls-").FullName;
        var certificates = Path.Combine(folder, "tls");
        WriteClientCertificate(ca, certificates);
        var uriFile = Path.Combine(folder, "uri");
        await File.WriteAllTextAsync(uriFile, mongo.ConnectionString.Replace("&tls=true", "", StringComparison.Ordinal));
        var chunks = Path.Combine(folder, "repo", "db", "MongoDB", "demo", "mg-rs", "oplog", "rs0");
        var client = new MongoClient(Archiver.Mongo.Connections.MongoTls.Apply(
            MongoClientSettings.FromConnectionString(mongo.ConnectionString), SidecarCommand.TlsFromFolder(certificates)));
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var sidecar = RunningCli.Start(stop.Token, "sidecar", "--mongodb-uri-file", uriFile, "--storage-folder", Path.Combine(folder, "repo"), "--prefix", "db/MongoDB/demo/mg-rs",
                "--database-uid", "uid-1", "--status-interval", "1", "--tls-dir", certificates, "--tls-check-interval", "1");
            var orders = client.GetDatabase("shop").GetCollection<BsonDocument>("orders");
            await orders.InsertOneAsync(new BsonDocument("_id", "before"));
            await WaitForChunksAsync(chunks, 1, stop.Token);
            var before = Directory.EnumerateFiles(chunks, "*.oplog", SearchOption.AllDirectories).Count();

            // Half of a swap (a new key beside the old certificate) parses as no certificate: the connection stays.
            File.WriteAllText(Path.Combine(certificates, "tls.key"), ca.IssueClient().PrivateKeyPem);
            await sidecar.WaitForLineAsync(HalfSwapSeen, stop.Token);
            Assert.DoesNotContain(Renewed, sidecar.Lines());
            // cert-manager renews the client certificate; the kubelet updates the mounted files.
            WriteClientCertificate(ca, certificates);
            await sidecar.WaitForLineAsync(Renewed, stop.Token);
            await orders.InsertOneAsync(new BsonDocument("_id", "after"));
            await WaitForChunksAsync(chunks, before + 1, stop.Token);

            await stop.CancelAsync();
            var run = await sidecar.Completion;
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Single(run.OutputLines, l => l == Renewed);
            Assert.Contains(HalfSwapSeen, run.OutputLines);
            // Resumed from what it had archived: the same timeline, twice announced.
            Assert.Equal(2, run.OutputLines.Count(l => l.StartsWith("archiving rs0 into db/MongoDB/demo/mg-rs (timeline 1)", StringComparison.Ordinal)));
        }
        finally
        {
            ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
            Directory.Delete(folder, recursive: true);
        }
    }

    private const string Renewed = "the client certificate in --tls-dir was renewed: reconnecting with it";

    private const string HalfSwapSeen = "the files in --tls-dir changed but do not make a usable client certificate yet (certificate and key do not match, or one does not parse): keeping the current connection";

    [Fact]
    public void A_tls_dir_without_a_key_says_which()
    {
        var folder = Directory.CreateTempSubdirectory("archiver-sidecar-tls-").FullName;
        File.WriteAllText(Path.Combine(folder, "ca.crt"), "x");
        File.WriteAllText(Path.Combine(folder, "tls.crt"), "x");

        var failure = Assert.Throws<CommandFailure>(() => SidecarCommand.TlsFromFolder(folder));

        Assert.Contains("no tls.key", failure.Message, StringComparison.Ordinal);
        Directory.Delete(folder, recursive: true);
    }

    private static void WriteClientCertificate(TestCertificateAuthority ca, string folder)
    {
        var certificate = ca.IssueClient();
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "ca.crt"), ca.CaPem);
        File.WriteAllText(Path.Combine(folder, "tls.crt"), certificate.CertificatePem);
        File.WriteAllText(Path.Combine(folder, "tls.key"), certificate.PrivateKeyPem);
    }

    private static async Task WaitForChunksAsync(string chunks, int count, CancellationToken cancellation)
    {
        while (!(Directory.Exists(chunks) && Directory.EnumerateFiles(chunks, "*.oplog", SearchOption.AllDirectories).Count() >= count))
        {
            await Task.Delay(100, cancellation);
        }
    }

    [Fact]
    public async Task Without_a_connection_string_or_with_two_storages_the_sidecar_says_what_is_missing()
    {
        var noUri = await CliRun.RunAsync("sidecar", "--storage-folder", "/tmp/x", "--prefix", "p", "--database-uid", "u");
        var both = await CliRun.RunAsync("sidecar", "--mongodb-uri-file", "/etc/hostname", "--storage-folder", "/tmp/x", "--s3-endpoint", "http://127.0.0.1:1", "--prefix", "p", "--database-uid", "u");

        Assert.Equal(2, noUri.ExitCode);
        Assert.Contains("no connection string", noUri.Error);
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("give exactly one of --storage-folder and --s3-endpoint", both.Error);
    }
}
