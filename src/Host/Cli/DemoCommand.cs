using System.CommandLine;
using System.Reflection;
using Archiver.Emulators.MongoDb;
using Archiver.Host.Adapters;
using Archiver.Host.Node;
using Archiver.Messages.Protocol;
using Archiver.Messages.Validation;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Host.Cli;

/// <summary>
/// <c>archiver demo</c>: the whole job on one machine. An embedded node (SQLite journal, local-folder storage), the
/// MongoDB emulator (or a real replica set), the example manifests applied, a workload, a full backup, the oplog
/// archived, a restore to a time between two rounds of writes into a new database, and a comparison with the source
/// as it was at that time. The last line starts with <c>verified:</c>; the exit code is 0 only if it matched.
/// </summary>
public static class DemoCommand
{
    private static readonly ResourceId Source = new("demo", "mg-rs");
    private static readonly ResourceId Restored = new("demo", "mg-rs-restored");

    public static Command Create(TextWriter output, TextWriter error)
    {
        var data = new Option<string?>("--data") { Description = "Keep the node's folder (journal, backups, secrets, manifests) here; default: a fresh temporary folder, removed afterwards." };
        var uri = new Option<string?>("--mongodb-uri") { Description = "A real replica set to use instead of the emulator (the demo writes to a database of its own there and restores next to it)." };
        var documents = new Option<int>("--documents") { Description = "Documents per collection in the workload.", DefaultValueFactory = _ => 2000 };
        var cluster = new Option<bool>("--cluster")
        {
            Description = "Cluster mode on the cluster stand-in (docs/emulators.md): deploy/statefulset's 3 archiver pods, KubeDB's MongoDB, "
                + "sidecars, an encrypted S3 storage, a node deleted mid-request, a restore by spec.init.archiver. Needs root, kubectl, PostgreSQL and s3rver.",
        };
        var driver = new Option<string>("--driver")
        {
            Description = "With --cluster: the full backups' driver, Logical (a dump into the storage) or CSISnapshotter (a VolumeSnapshot of a locked "
                + "secondary, as a Job; the restored database's claims are then made from it).",
            DefaultValueFactory = _ => "Logical",
        };
        driver.AcceptOnlyFromAmong("Logical", "CSISnapshotter");
        var storageKind = new Option<string>("--storage")
        {
            Description = "Where the embedded demo keeps its backups: local (a folder), gcs (the GCS stand-in in this process, "
                + "provider gcs with a service account key) or azure (Azurite, provider azure with the account key; needs Azurite, as .ci/run installs it).",
            DefaultValueFactory = _ => "local",
        };
        storageKind.AcceptOnlyFromAmong("local", "gcs", "azure");
        var sharded = new Option<bool>("--sharded")
        {
            Description = "On a sharded cluster stand-in (3 shards, a config server, a mongos): a stream per replica set, one consistent backup of all, "
                + "and a restore into a cluster of the same shards at a moment with a chunk migration in flight and transactions across shards.",
        };
        var command = new Command("demo", """
            Run the whole job on this machine in under a minute: back up a replica set continuously, then restore it
            to a moment between two rounds of writes into a new database, and prove the copy equals the source as
            it was at that moment. Prints each step and ends with a line starting 'verified:'.

            Examples:
              archiver demo
              archiver demo --data ./demo-data --mongodb-uri "mongodb://localhost:27017/?replicaSet=rs0"
              sudo archiver demo --cluster
              sudo archiver demo --cluster --driver CSISnapshotter
              archiver demo --sharded
              archiver demo --storage gcs
            """)
        {
            data, uri, documents, cluster, driver, sharded, storageKind,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            if (parse.GetValue(documents) is < 10 or > 1_000_000)
            {
                await error.WriteLineAsync("archiver demo: --documents must be between 10 and 1000000");
                return ExitCodes.Usage;
            }

            var folder = parse.GetValue(data);
            var keep = folder is not null;
            folder = Path.GetFullPath(folder ?? Path.Combine(Path.GetTempPath(), "archiver-demo-" + Guid.NewGuid().ToString("N")[..8]));
            try
            {
                if (parse.GetValue(storageKind) != "local" && (parse.GetValue(cluster) || parse.GetValue(sharded)))
                {
                    await error.WriteLineAsync("archiver demo: --storage gcs|azure runs the embedded replica-set demo: not with --cluster or --sharded");
                    return ExitCodes.Usage;
                }

                if (parse.GetValue(sharded))
                {
                    if (parse.GetValue(cluster) || parse.GetValue(uri) is not null || parse.GetValue(driver) != "Logical")
                    {
                        await error.WriteLineAsync("archiver demo: --sharded runs on the embedded node with the sharded emulator: not with --cluster, --mongodb-uri or --driver CSISnapshotter");
                        return ExitCodes.Usage;
                    }

                    return await new ShardedDemo(output, folder, parse.GetValue(documents)).ExecuteAsync(cancellation);
                }

                if (parse.GetValue(cluster))
                {
                    if (!OperatingSystem.IsLinux())
                    {
                        await error.WriteLineAsync("archiver demo: --cluster: the cluster stand-in runs on Linux only (mount namespaces, /etc/hosts)");
                        return ExitCodes.Usage;
                    }

                    if (parse.GetValue(uri) is not null)
                    {
                        await error.WriteLineAsync("archiver demo: --mongodb-uri and --cluster: the cluster demo runs KubeDB's MongoDB on the stand-in, not a server of yours");
                        return ExitCodes.Usage;
                    }

                    return await new ClusterDemo(output, folder, parse.GetValue(documents), parse.GetValue(driver)!).ExecuteAsync(cancellation);
                }

                if (parse.GetValue(driver) != "Logical")
                {
                    await error.WriteLineAsync("archiver demo: --driver CSISnapshotter needs --cluster: volume snapshots are taken of a cluster's claims");
                    return ExitCodes.Usage;
                }

                return await new Run(output, folder, parse.GetValue(uri), parse.GetValue(documents), parse.GetValue(storageKind)!).ExecuteAsync(cancellation);
            }
            catch (Exception failure) when (failure is not OperationCanceledException || !cancellation.IsCancellationRequested)
            {
                var message = failure is DemoFailure or DemoServerMissing ? failure.Message : $"{failure.GetType().Name}: {failure.Message}";
                await error.WriteLineAsync($"archiver demo: {message}");
                await output.WriteLineAsync($"verified: no ({message})");
                return ExitCodes.Failed;
            }
            finally
            {
                if (!keep) TryDelete(folder);
            }
        });
        return command;
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder; the system cleans it eventually.
        }
    }

    private sealed class Run(TextWriter output, string folder, string? mongodbUri, int documents, string storage = "local") : DemoScript(output)
    {
        public async Task<int> ExecuteAsync(CancellationToken cancellation)
        {
            await StepAsync($"data folder {folder}");
            await using var sourceEmulator = mongodbUri is null ? await MongoEmulator.StartAsync(new MongoEmulatorOptions()) : null;
            await using var targetEmulator = mongodbUri is null ? await MongoEmulator.StartAsync(new MongoEmulatorOptions()) : null;
            var sourceUri = mongodbUri ?? sourceEmulator!.ConnectionString;
            var targetUri = mongodbUri ?? targetEmulator!.ConnectionString;
            await StepAsync(mongodbUri is null
                ? $"MongoDB emulator: source replica set {sourceUri}, restore target {targetUri}"
                : $"real replica set {Redact(sourceUri)}: the demo's database is restored next to it under a new name");

            await using var node = await ArchiverNodeHost.StartAsync(new NodeSettings { DataFolder = folder, HttpPort = 0, Brisk = true }, Microsoft.Extensions.Logging.LogLevel.Error, cancellation);
            Node = node.Address.ToString();
            await StepAsync($"embedded node on {node.Address} (SQLite journal {node.Settings.JournalFile})");
            node.Secrets.Write(new ResourceId("demo", "mg-rs-connection"), MongoConnections.UriKey, sourceUri);
            node.Secrets.Write(new ResourceId("demo", "mg-rs-restored-connection"), MongoConnections.UriKey, targetUri);
            await StepAsync($"connection secrets written under {node.Settings.SecretsFolder} (the manifests name them, never hold them)");

            // A database of its own on a real server; on the emulator the whole (fresh) replica set is the demo's.
            var database = mongodbUri is null ? "shop" : $"archiver_demo_{Guid.NewGuid():N}"[..24];
            var restoredDatabase = mongodbUri is null ? database : database + "_r";
            await using var remote = await DemoStorage.StartAsync(storage, folder, node.Secrets, cancellation);
            if (remote is not null) await StepAsync(remote.Description);
            await ApplyExamplesAsync(remote, cancellation);
            await WaitAsync("demo/mg-rs configured and archiving", () => IsArchivingAsync(node, Source), TimeSpan.FromSeconds(30), cancellation);
            await CliAsync(cancellation, "get", "mongodbopsrequests", "-n", "demo", "-o", "wide");

            var source = new MongoClient(sourceUri);
            try
            {
                var workload = new DemoWorkload(source, database, documents);
                var seeded = await workload.SeedAsync(cancellation);
                await StepAsync($"workload: {seeded:N0} documents written to {database} (customers, orders, inventory, an index)");
                await CliOrFailAsync(cancellation, "backup", Source.ToString());

                var roundOne = await workload.ChangeAsync(1, cancellation);
                await Task.Delay(30, cancellation);
                var expected = await DemoWorkload.ReadAsync(source, database, cancellation);
                var target = DateTimeOffset.UtcNow;
                await Task.Delay(30, cancellation);
                await StepAsync($"round 1: {roundOne:N0} writes (updates, deletes, inserts); then the target time {Rfc3339.Format(target)}; source then: {expected}");

                var roundTwo = await workload.ChangeAsync(2, cancellation);
                await workload.DropInventoryAsync(cancellation);
                var lastWrite = await LastWriteAsync(source, cancellation);
                var now = await DemoWorkload.ReadAsync(source, database, cancellation);
                await StepAsync($"round 2: {roundTwo:N0} writes and the inventory collection dropped; source now: {now}");

                await WaitAsync($"oplog archived up to the last write ({Rfc3339.Format(lastWrite)})", () => ArchivedPastAsync(node, Source, lastWrite), TimeSpan.FromSeconds(30), cancellation);
                await CliOrFailAsync(cancellation, "windows", Source.ToString());
                await CliOrFailAsync(cancellation, "plan", Source.ToString(), "--at", Rfc3339.Format(target));
                string[] restore = ["restore", Source.ToString(), "--at", Rfc3339.Format(target), "--into", Restored.ToString(), "--connection-secret", "mg-rs-restored-connection", "--timeout", "60"];
                if (mongodbUri is not null) restore = [.. restore, "--databases", $"{database}={restoredDatabase}"];
                await CliOrFailAsync(cancellation, restore);

                var restoredClient = mongodbUri is null ? new MongoClient(targetUri) : source;
                try
                {
                    var actual = await DemoWorkload.ReadAsync(restoredClient, restoredDatabase, cancellation);
                    await StepAsync($"restored {Restored}: {actual}");
                    // The Events of both, as kubectl describe shows them in a cluster: the source's full backup, the restore's
                    // start, plan and outcome.
                    await CliOrFailAsync(cancellation, "describe", "mongodb", Source.ToString());
                    await CliOrFailAsync(cancellation, "describe", "mongodb", Restored.ToString());
                    if (actual.Sha256 != expected.Sha256 || actual.Documents != expected.Documents)
                    {
                        throw new DemoFailure($"{Restored} ({actual}) differs from {Source} at {Rfc3339.Format(target)} ({expected})");
                    }

                    if (now.Sha256 == expected.Sha256) throw new DemoFailure("round 2 changed nothing, so the comparison would prove nothing");
                    if (remote is not null && await remote.Objects() == 0) throw new DemoFailure($"the {storage} storage holds no object: the backups went elsewhere");
                    await Output.WriteLineAsync(
                        $"verified: {Restored} ({restoredDatabase}) equals {Source} ({database}) as it was at {Rfc3339.Format(target)}: "
                        + $"{expected.Collections.Count} collections, {expected.Documents:N0} documents and their indexes, sha256 {expected.Sha256} "
                        + $"(and differs from the source now, after round 2){(remote is null ? "" : $", backups in {remote.Where}")}, in {Clock.Elapsed.TotalSeconds:0.0} s");
                    return ExitCodes.Ok;
                }
                finally
                {
                    if (mongodbUri is not null) await source.DropDatabaseAsync(restoredDatabase, CancellationToken.None);
                    if (!ReferenceEquals(restoredClient, source)) Dispose(restoredClient);
                }
            }
            finally
            {
                if (mongodbUri is not null) await source.DropDatabaseAsync(database, CancellationToken.None);
                Dispose(source);
            }
        }

        private async Task ApplyExamplesAsync(DemoStorage? remote, CancellationToken cancellation)
        {
            var manifests = Path.Combine(folder, "manifests");
            Directory.CreateDirectory(manifests);
            var assembly = Assembly.GetExecutingAssembly();
            foreach (var name in new[] { "storage.yaml", "archiver.yaml", "mongodb.yaml" })
            {
                using var stream = assembly.GetManifestResourceStream($"examples/{name}") ?? throw new DemoFailure($"the example {name} is missing from this build");
                var text = await new StreamReader(stream).ReadToEndAsync(cancellation);
                // The storage example names a system folder; the demo keeps everything in its own.
                text = text.Replace("/var/lib/archiver/backups", Path.Combine(folder, "backups"), StringComparison.Ordinal);
                if (remote is not null && name == "archiver.yaml")
                {
                    // The archiver keeps its databases' history in the remote storage instead.
                    text = text.Replace("name: local-storage", $"name: {remote.Name}", StringComparison.Ordinal);
                }

                var path = Path.Combine(manifests, name);
                await File.WriteAllTextAsync(path, text, cancellation);
                await CliOrFailAsync(cancellation, "apply", "-f", path);
                if (remote is not null && name == "storage.yaml")
                {
                    var remotePath = Path.Combine(manifests, $"storage-{storage}.yaml");
                    await File.WriteAllTextAsync(remotePath, remote.Manifest, cancellation);
                    await CliOrFailAsync(cancellation, "apply", "-f", remotePath);
                }
            }
        }

        private static async Task<DateTimeOffset> LastWriteAsync(IMongoClient client, CancellationToken cancellation)
        {
            var last = await client.GetDatabase("local").GetCollection<BsonDocument>("oplog.rs")
                .Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("$natural", -1)).Limit(1).FirstAsync(cancellation);
            return new DateTimeOffset(last["wall"].ToUniversalTime());
        }

        private static string Redact(string uri) => MongoUrl.Create(uri) is { Username: not null } url ? uri.Replace(url.Password ?? "", "***", StringComparison.Ordinal) : uri;

        private static void Dispose(MongoClient client) => ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
    }
}
