using System.CommandLine;
using Archiver.Emulators.Cluster;
using Archiver.Emulators.Gcs;
using Archiver.Emulators.MongoDb;
using Archiver.Emulators.MongoDb.Sharding;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;

namespace Archiver.Host.Cli;

/// <summary>
/// <c>archiver emulator mongodb</c>: the MongoDB emulator on its own, for trying Archiver without a replica set;
/// <c>archiver emulator cluster</c>: the cluster stand-in (API server, controllers, kubelet, KubeDB), for trying
/// Archiver in cluster mode where no cluster can run; <c>archiver emulator gcs</c>: the GCS JSON-API stand-in.
/// </summary>
public static class EmulatorCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var port = new Option<int>("--port") { Description = "Port of the first member (0: any free one).", DefaultValueFactory = _ => 27017 };
        var oplogSize = new Option<int>("--oplog-size") { Description = "Oplog size in MiB: older entries roll off past it, as on a real server.", DefaultValueFactory = _ => 256 };
        var members = new Option<int>("--members") { Description = "Replica-set members (each on the next port).", DefaultValueFactory = _ => 1 };
        var name = new Option<string>("--replica-set") { Description = "Replica-set name.", DefaultValueFactory = _ => "rs0" };
        var tlsSecret = new Option<string?>("--tls-client-secret")
        {
            Description = "Speak TLS only, with client certificates, as a KubeDB database with sslMode requireSSL; write a test CA and a client certificate into this folder as KubeDB's client-cert secret holds them (ca.crt, tls.crt, tls.key).",
        };
        var shards = new Option<int>("--shards")
        {
            Description = "Run a sharded cluster instead: this many shard replica sets (each of --members members), a config server replica set and a mongos router on --port.",
            DefaultValueFactory = _ => 0,
        };
        var mongodb = new Command("mongodb", """
            Run the MongoDB emulator: an in-memory replica set on the real wire protocol (OP_MSG) with an oplog,
            majority commit point, sessions and transactions, for trying Archiver where no MongoDB can run. It is
            not a database: see docs/emulators.md for what it does and does not do. Ctrl+C stops it; data is lost.

            With --shards N it runs a sharded cluster: N shard replica sets, a config server replica set and a mongos
            router on --port, with range and hashed shard keys, chunk migrations and two-phase distributed commits.

            Example:
              archiver emulator mongodb --port 27017 --oplog-size 64
              archiver emulator mongodb --tls-client-secret ./archiver-data/secrets/demo/mg-rs-client-cert
              archiver emulator mongodb --shards 3 --port 27017
            """)
        {
            port, oplogSize, members, name, tlsSecret, shards,
        };
        mongodb.SetAction(async (parse, cancellation) =>
        {
            if (parse.GetValue(oplogSize) < 1 || parse.GetValue(members) is < 1 or > 7)
            {
                await error.WriteLineAsync("archiver emulator mongodb: --oplog-size must be at least 1 (MiB) and --members between 1 and 7");
                return ExitCodes.Usage;
            }

            if (parse.GetValue(shards) is not 0 and var shardCount)
            {
                return await RunShardedAsync(output, error, shardCount, parse.GetValue(port), parse.GetValue(members), parse.GetValue(oplogSize), parse.GetValue(tlsSecret) is not null, cancellation);
            }

            MongoEmulator emulator;
            using var authority = parse.GetValue(tlsSecret) is null ? null : new TestCertificateAuthority();
            try
            {
                emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions
                {
                    Port = parse.GetValue(port),
                    Members = parse.GetValue(members),
                    ReplicaSetName = parse.GetValue(name)!,
                    OplogSizeBytes = parse.GetValue(oplogSize) * 1024L * 1024,
                    Tls = authority is null ? null : new MongoEmulatorTls(authority.IssueServer().Certificate, authority.CaCertificate),
                });
            }
            catch (System.Net.Sockets.SocketException e)
            {
                await error.WriteLineAsync($"archiver emulator mongodb: --port {parse.GetValue(port)}: {e.Message}");
                return ExitCodes.Failed;
            }

            await using (emulator)
            {
                if (authority is not null)
                {
                    var folder = Directory.CreateDirectory(parse.GetValue(tlsSecret)!).FullName;
                    var client = authority.IssueClient();
                    await File.WriteAllTextAsync(Path.Combine(folder, MongoDBResource.TlsCaKey), authority.CaPem, CancellationToken.None);
                    await File.WriteAllTextAsync(Path.Combine(folder, MongoDBResource.TlsCertificateKey), client.CertificatePem, CancellationToken.None);
                    var key = Path.Combine(folder, MongoDBResource.TlsPrivateKeyKey);
                    await File.WriteAllTextAsync(key, client.PrivateKeyPem, CancellationToken.None);
                    if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                    await output.WriteLineAsync($"TLS only; the CA and a client certificate (CN=root,O=kubedb:client) are in {folder}");
                }

                await output.WriteLineAsync($"MongoDB emulator (replica set {parse.GetValue(name)}, oplog {parse.GetValue(oplogSize)} MiB): {emulator.ConnectionString}");
                await output.WriteLineAsync("Ctrl+C stops it.");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellation);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C: the normal way out.
                }
            }

            return ExitCodes.Ok;
        });
        return new Command("emulator", "Run a stand-in for a system Archiver talks to (for trying it out; see docs/emulators.md).") { mongodb, Cluster(output, error), Gcs(output, error) };
    }

    private static async Task<int> RunShardedAsync(TextWriter output, TextWriter error, int shards, int port, int members, int oplogSize, bool tls, CancellationToken cancellation)
    {
        if (shards is < 1 or > 16 || tls)
        {
            await error.WriteLineAsync(tls
                ? "archiver emulator mongodb: --tls-client-secret is not supported with --shards (the sharded emulator speaks plain TCP)"
                : "archiver emulator mongodb: --shards must be between 1 and 16");
            return ExitCodes.Usage;
        }

        ShardedMongoEmulator cluster;
        try
        {
            cluster = await ShardedMongoEmulator.StartAsync(new ShardedMongoEmulatorOptions
            {
                Port = port,
                Shards = shards,
                MembersPerShard = members,
                OplogSizeBytes = oplogSize * 1024L * 1024,
            });
        }
        catch (System.Net.Sockets.SocketException e)
        {
            await error.WriteLineAsync($"archiver emulator mongodb: --port {port}: {e.Message}");
            return ExitCodes.Failed;
        }

        await using (cluster)
        {
            await output.WriteLineAsync($"MongoDB emulator (sharded cluster of {shards} shards, oplogs of {oplogSize} MiB): {cluster.ConnectionString} (mongos)");
            await output.WriteLineAsync($"  config server: {cluster.ConfigServer.ConnectionString}");
            for (var i = 0; i < shards; i++)
            {
                await output.WriteLineAsync($"  {cluster.ShardNames[i]}: {cluster.Shards[i].ConnectionString}");
            }

            await output.WriteLineAsync("Ctrl+C stops it.");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellation);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: the normal way out.
            }
        }

        return ExitCodes.Ok;
    }

    private static Command Cluster(TextWriter output, TextWriter error)
    {
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "Write the admin's kubeconfig here.", DefaultValueFactory = _ => "./archiver-cluster.kubeconfig" };
        var port = new Option<int>("--port") { Description = "The API server's port on 127.0.0.1 (0: any free one).", DefaultValueFactory = _ => 0 };
        var namespaces = new Option<string[]>("--namespace") { Description = "Namespaces that exist from the start (more can be made with kubectl).", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => ["default", "demo", "archiver"] };
        var election = new Option<int>("--election-timeout") { Description = "Seconds a replica set waits after losing its primary before electing another (MongoDB's default is 10).", DefaultValueFactory = _ => 10 };
        var archiver = new Option<string?>("--archiver-dll") { Description = "The archiver.dll that pods of the archiver image run (default: this one)." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print what the controllers and the kubelet do." };
        var cluster = new Command("cluster", """
            Run a stand-in for a Kubernetes cluster with KubeDB on this machine, as root: an API server (RBAC, TLS,
            tokens) that kubectl drives, the StatefulSet, PetSet and Job controllers, a kubelet that runs pods as local
            processes (the archiver image as this archiver, MongoDB's image as replica-set members), the cluster's
            names in /etc/hosts, and a KubeDB stand-in that provisions kubedb.com MongoDB replica sets. Not a cluster:
            see docs/emulators.md for what it does and does not do. Ctrl+C stops every pod and removes the names.

            Example:
              archiver emulator cluster --kubeconfig ./kubeconfig
              KUBECONFIG=./kubeconfig kubectl apply -f mongodb.yaml
            """)
        {
            kubeconfig, port, namespaces, election, archiver, verbose,
        };
        cluster.SetAction(async (parse, cancellation) =>
        {
            if (!OperatingSystem.IsLinux())
            {
                await error.WriteLineAsync("archiver emulator cluster: runs on Linux only (mount namespaces, /etc/hosts)");
                return ExitCodes.Failed;
            }

            ClusterStandIn standIn;
            try
            {
                standIn = await ClusterStandIn.StartAsync(new ClusterStandInOptions
                {
                    ApiPort = parse.GetValue(port),
                    Namespaces = parse.GetValue(namespaces)!,
                    ElectionTimeout = TimeSpan.FromSeconds(Math.Max(0, parse.GetValue(election))),
                    ArchiverAssembly = parse.GetValue(archiver) is { } dll ? Path.GetFullPath(dll) : null,
                    LogWriter = parse.GetValue(verbose) ? output : null,
                }, cancellation);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or System.Net.Sockets.SocketException)
            {
                await error.WriteLineAsync($"archiver emulator cluster: {e.Message}");
                return ExitCodes.Failed;
            }

            await using (standIn)
            {
                var path = Path.GetFullPath(parse.GetValue(kubeconfig)!);
                await File.WriteAllTextAsync(path, standIn.Kubeconfig(), CancellationToken.None);
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                await output.WriteLineAsync($"""
                    Cluster stand-in {standIn.Id}: API server {standIn.Api.Url} (TLS, RBAC), pods at 127.{standIn.NetworkPrefix}.x.y.
                    kubeconfig (the admin's): {path}
                      export KUBECONFIG={path}
                      kubectl get namespaces
                    KubeDB's and Archiver's CRDs are installed. Cluster names resolve through /etc/hosts (the stand-in's block);
                    kubectl logs is not served: containers' logs are in the pods' folders. Ctrl+C stops it.
                    """);
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellation);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C: the normal way out.
                }
            }

            return ExitCodes.Ok;
        });
        return cluster;
    }

    private static Command Gcs(TextWriter output, TextWriter error)
    {
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0: any free one).", DefaultValueFactory = _ => 4443 };
        var buckets = new Option<string[]>("--bucket") { Description = "Buckets that exist from the start (more with the JSON API's buckets.insert).", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => ["archiver-backups"] };
        var keyFile = new Option<string>("--key-file") { Description = "Write a service account key the stand-in accepts here (what GOOGLE_SERVICE_ACCOUNT_JSON_KEY holds).", DefaultValueFactory = _ => "./gcs-stand-in-key.json" };
        var gcs = new Command("gcs", """
            Run the Google Cloud Storage JSON-API stand-in: in memory, on 127.0.0.1 over HTTP, the calls Google's
            client makes to write (resumable uploads), read, list and delete objects, with GCS's errors and
            preconditions, requests authenticated with the service account key it writes. Not GCS: see
            docs/emulators.md for what it does and does not do. Ctrl+C stops it; objects are lost.

            Example:
              archiver emulator gcs --port 4443 --bucket archiver-backups --key-file ./gcs-key.json
            """)
        {
            port, buckets, keyFile,
        };
        gcs.SetAction(async (parse, cancellation) =>
        {
            GcsEmulator standIn;
            try
            {
                standIn = await GcsEmulator.StartAsync(new GcsEmulatorOptions { Port = parse.GetValue(port), Buckets = parse.GetValue(buckets)! }, cancellation);
            }
            catch (Exception e) when (e is IOException or ArgumentException)
            {
                await error.WriteLineAsync($"archiver emulator gcs: {e.Message}");
                return ExitCodes.Failed;
            }

            await using (standIn)
            {
                var path = Path.GetFullPath(parse.GetValue(keyFile)!);
                await File.WriteAllTextAsync(path, standIn.CreateServiceAccountKey(), CancellationToken.None);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                await output.WriteLineAsync($"""
                    GCS stand-in: JSON API at {standIn.BaseUri} (uploads under {standIn.Url}upload/storage/v1/), buckets {string.Join(", ", parse.GetValue(buckets)!)}.
                    Service account key: {path} (a client's BaseUri is the JSON API's address above).
                    Ctrl+C stops it.
                    """);
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellation);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C: the normal way out.
                }
            }

            return ExitCodes.Ok;
        });
        return gcs;
    }
}
