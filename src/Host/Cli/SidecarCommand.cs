using System.CommandLine;
using System.Net;
using System.Text.Json;
using Archiver.Actors.Ports;
using Archiver.Host.Adapters;
using Archiver.Host.Api;
using Archiver.Host.Metrics;
using Archiver.Kubernetes;
using Archiver.Messages.Manifests;
using Archiver.Messages.Validation;
using Archiver.Mongo.Archiving;
using Archiver.Mongo.Connections;
using MongoDBResource = Archiver.Messages.Resources.MongoDB;
using Archiver.Storage.Backends;
using Archiver.Storage.Layout;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Host.Cli;

/// <summary>
/// <c>archiver sidecar</c>: the oplog archiver for one replica set, as the container injected into a database's pods
/// runs it. Configured by options or the environment a pod template sets; credentials only from the environment or
/// files (mounted secrets), never from the command line. Prints its status as one JSON line at each change of phase
/// and every <c>--status-interval</c>.
/// </summary>
public static class SidecarCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var uriFile = new Option<string?>("--mongodb-uri-file") { Description = "File holding the connection string (a mounted secret); default $ARCHIVER_MONGODB_URI." };
        var secretsDir = new Option<string>("--secrets-dir")
        {
            Description = $"With ${StorageVariable}: the storage's secrets, one folder per secret (<dir>/<namespace>/<name>/<key>, mounted secrets).",
            DefaultValueFactory = _ => DefaultSecretsDir,
        };
        var folder = new Option<string?>("--storage-folder") { Description = $"Archive into this folder (a mounted volume); for running by hand: ${StorageVariable} wins." };
        var s3Endpoint = new Option<string?>("--s3-endpoint") { Description = "Archive into this S3-compatible endpoint (credentials from $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY)." };
        var s3Bucket = new Option<string?>("--s3-bucket") { Description = "The bucket, with --s3-endpoint." };
        var prefix = new Option<string>("--prefix") { Description = "The database's folder in the storage, e.g. db/MongoDB/demo/mg-rs.", Required = true };
        var uid = new Option<string>("--database-uid") { Description = "The database's metadata.uid: the timeline it owns in the repository.", Required = true };
        var databaseName = new Option<string?>("--database")
        {
            Description = "The MongoDB's name, in the pod's namespace ($POD_NAMESPACE): in a cluster, nothing more is published once it is deleted or made again under its name.",
        };
        var component = new Option<string?>("--component") { Description = "Name the chunks are filed under (default: the replica set's name)." };
        var maxAge = new Option<string>("--chunk-max-age") { Description = "Cut a chunk at least this often (Go duration).", DefaultValueFactory = _ => "1s" };
        var idleFlush = new Option<string>("--idle-flush") { Description = "While only no-ops arrive, cut a chunk this often (Go duration).", DefaultValueFactory = _ => "5m" };
        var maxSize = new Option<string>("--chunk-max-size") { Description = "Cut a chunk at this size (Kubernetes quantity).", DefaultValueFactory = _ => "16Mi" };
        var statusInterval = new Option<int>("--status-interval") { Description = "Seconds between status lines.", DefaultValueFactory = _ => 10 };
        var tlsDir = new Option<string?>("--tls-dir")
        {
            Description = "Connect over TLS with the client certificate in this folder (ca.crt, tls.crt, tls.key: a mounted kubernetes.io/tls secret); a renewal there is picked up by reconnecting.",
        };
        var tlsCheck = new Option<int>("--tls-check-interval") { Description = "Seconds between looks at --tls-dir for a renewed certificate.", DefaultValueFactory = _ => 30 };
        var metricsPort = new Option<int?>("--metrics-port")
        {
            Description = "Serve Prometheus metrics on /metrics at this port (0: any free one); without it, none are served. See docs/metrics.md.",
        };
        var metricsHost = new Option<string>("--metrics-host") { Description = "The address /metrics listens on, with --metrics-port.", DefaultValueFactory = _ => "127.0.0.1" };
        var command = new Command("sidecar", """
            Archive one replica set's oplog continuously into a repository: majority-committed entries only, in
            self-checking chunks, resuming where the repository ends. The repository is the BackupStorage in
            $ARCHIVER_BACKUP_STORAGE (its JSON, as the node injects it), opened as the node opens it (S3 prefix,
            region, path style, encryption), its secrets read from --secrets-dir; by hand, --storage-folder or
            --s3-endpoint and --s3-bucket instead. Runs until stopped (SIGTERM finishes the chunk in flight or
            leaves it to be re-read on the next start). When the connection string carries no
            credentials, $MONGODB_USERNAME and $MONGODB_PASSWORD are used (authSource admin), as KubeDB's auth
            secret gives them. With --tls-dir (or $MONGODB_TLS_CA, $MONGODB_TLS_CERT and $MONGODB_TLS_KEY: PEM, as
            KubeDB's client-cert secret holds them) it connects over TLS, presenting that certificate and trusting that
            CA; when the folder's certificate is renewed, it reconnects with the new one and archives on.

            Example:
              ARCHIVER_MONGODB_URI="mongodb://localhost:27017/?replicaSet=rs0" \
                archiver sidecar --storage-folder /backups --prefix db/MongoDB/demo/mg-rs --database-uid 6f1c...
            """)
        {
            uriFile, secretsDir, folder, s3Endpoint, s3Bucket, prefix, uid, databaseName, component, maxAge, idleFlush, maxSize, statusInterval, tlsDir, tlsCheck, metricsPort, metricsHost,
        };
        command.SetAction((parse, cancellation) => CommandRunner.RunAsync("sidecar", error, async () =>
        {
            var uri = parse.GetValue(uriFile) is { } file ? (await File.ReadAllTextAsync(file, cancellation)).Trim() : Environment.GetEnvironmentVariable("ARCHIVER_MONGODB_URI");
            if (string.IsNullOrEmpty(uri)) throw new CommandFailure(ExitCodes.Usage, "no connection string: set $ARCHIVER_MONGODB_URI or --mongodb-uri-file");
            if (!GoDuration.TryParse(parse.GetValue(maxAge)!, out var age, out var ageReason)) throw new CommandFailure(ExitCodes.Usage, $"--chunk-max-age: {ageReason}");
            if (!GoDuration.TryParse(parse.GetValue(idleFlush)!, out var idle, out var idleReason)) throw new CommandFailure(ExitCodes.Usage, $"--idle-flush: {idleReason}");
            if (!ByteQuantity.TryParse(parse.GetValue(maxSize)!, out var size, out var sizeReason)) throw new CommandFailure(ExitCodes.Usage, $"--chunk-max-size: {sizeReason}");
            var storage = Environment.GetEnvironmentVariable(StorageVariable);
            if (!string.IsNullOrEmpty(storage) && (parse.GetValue(folder) ?? parse.GetValue(s3Endpoint)) is not null)
            {
                await error.WriteLineAsync($"archiver sidecar: ${StorageVariable} is set: --storage-folder, --s3-endpoint and --s3-bucket are ignored");
            }

            var store = string.IsNullOrEmpty(storage)
                ? OpenStore(parse.GetValue(folder), parse.GetValue(s3Endpoint), parse.GetValue(s3Bucket))
                : await OpenStorageAsync(storage, parse.GetValue(secretsDir)!, cancellation);
            if (!IPAddress.TryParse(parse.GetValue(metricsHost), out var metricsAddress)) throw new CommandFailure(ExitCodes.Usage, $"--metrics-host: '{parse.GetValue(metricsHost)}' is not an IP address");
            var layout = new RepositoryLayout(parse.GetValue(prefix)!);
            await using var metrics = parse.GetValue(metricsPort) is { } port ? await SidecarMetricsServer.StartAsync(metricsAddress, port, cancellation) : null;
            if (metrics is not null) await output.WriteLineAsync($"metrics on {metrics.Address}metrics");
            // Labelled as the node labels a database: its namespace (the pod's) and name (--database; by hand, the prefix).
            var (metricsNamespace, metricsDatabase) = (Environment.GetEnvironmentVariable("POD_NAMESPACE") ?? "", parse.GetValue(databaseName) ?? layout.Prefix);
            var folderOfTls = parse.GetValue(tlsDir);
            await using var fence = Archiver.Kubernetes.DatabaseFence.FromEnvironment(parse.GetValue(databaseName), parse.GetValue(uid)!);
            fence?.Start();
            try
            {
                // One connection per certificate: a renewed one in --tls-dir ends this round and the next connects with it.
                // The first round fails fast (a wrong setup is best seen at once); a later one, after a renewal, retries:
                // a renewal is exactly when a half-written secret or a server not yet trusting the new CA is met.
                for (var round = 0; ; round++)
                {
                    using var renewed = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                    var watch = Task.CompletedTask;
                    try
                    {
                        var tls = folderOfTls is null ? TlsFromEnvironment() : TlsFromFolder(folderOfTls);
                        if (folderOfTls is not null) watch = WatchForRenewalAsync(folderOfTls, tls!, output, TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(tlsCheck))), renewed);
                        await ArchiveAsync(tls, renewed.Token);
                    }
                    catch (OperationCanceledException) when (renewed.IsCancellationRequested)
                    {
                        // Stopped, or renewed while connecting: either way this round is over.
                    }
                    catch (Exception e) when (round > 0 && e is not ForeignHistoryException && !cancellation.IsCancellationRequested)
                    {
                        await error.WriteLineAsync($"archiver sidecar: reconnecting after the renewal failed ({e.Message}); trying again in {RetryAfterRenewal.TotalSeconds:0} s");
                        await Task.Delay(RetryAfterRenewal, cancellation).ContinueWith(_ => { }, TaskScheduler.Default);
                        if (cancellation.IsCancellationRequested) return ExitCodes.Ok;
                        continue;
                    }
                    finally
                    {
                        await renewed.CancelAsync();
                        await watch;
                    }

                    if (cancellation.IsCancellationRequested) return ExitCodes.Ok;
                    await output.WriteLineAsync("the client certificate in --tls-dir was renewed: reconnecting with it");
                }
            }
            catch (ForeignHistoryException e)
            {
                throw new CommandFailure(ExitCodes.Invalid, e.Message);
            }
            finally
            {
                (store as IDisposable)?.Dispose();
            }

            async Task ArchiveAsync(MongoTlsMaterial? tls, CancellationToken token)
            {
                var client = new MongoClient(ClientSettings(uri, Environment.GetEnvironmentVariable("MONGODB_USERNAME"), Environment.GetEnvironmentVariable("MONGODB_PASSWORD"), tls));
                // In a pod, the status also goes to the pod's report annotation, where the control plane reads it.
                var publisher = PodReportPublisher.FromEnvironment();
                var interval = TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(statusInterval)));
                try
                {
                    var name = parse.GetValue(component) ?? await Adapters.MongoConnections.ReplicaSetNameAsync(client, token);
                    var lastStandbyReport = DateTime.MinValue;
                    while (!token.IsCancellationRequested)
                    {
                        if (fence?.Revoked is { } revoked)
                        {
                            // The database is gone (or another one has its name): its pods are going too. Nothing more is
                            // published, and the report says why, until the pod is stopped.
                            await output.WriteLineAsync($"archiving stopped for good: {revoked}");
                            Publish(new ArchivingReport(name, null, null, TimeSpan.Zero, null, $"archiving stopped for good: {revoked}", DateTimeOffset.UtcNow) { Standby = true });
                            await Task.Delay(Timeout.Infinite, token).ContinueWith(_ => { }, TaskScheduler.Default);
                            return;
                        }

                        // Every pod of the replica set carries the sidecar; only the primary's archives, so the replica set is one
                        // stream. The others wait, and the one whose member is elected takes over from where the archive ends.
                        if (!await IsPrimaryAsync(client, token))
                        {
                            if (DateTime.UtcNow - lastStandbyReport >= interval)
                            {
                                if (lastStandbyReport == DateTime.MinValue) await output.WriteLineAsync($"standby: this member of {name} is not the primary; the primary's sidecar archives");
                                lastStandbyReport = DateTime.UtcNow;
                                Publish(new ArchivingReport(name, null, null, TimeSpan.Zero, null, null, DateTimeOffset.UtcNow) { Standby = true });
                            }

                            await Task.Delay(StandbyPoll, token);
                            continue;
                        }

                        lastStandbyReport = DateTime.MinValue;
                        // This replica set's stream: the database's timeline and, after a restore, this replica set's own
                        // restore's last write to start after (a sharded cluster's shards each have their own).
                        var start = await ArchivingTimeline.OpenStreamAsync(client, store, layout, parse.GetValue(uid)!, DateTimeOffset.UtcNow, token);
                        var timeline = start.Timeline;
                        using var measured = metrics?.Archivers.For(metricsNamespace, metricsDatabase, name);
                        var archiver = new OplogArchiver(client, store, layout, new OplogArchiverOptions
                        {
                            Component = name,
                            Timeline = timeline.Id,
                            StartAfter = start.StartAfter,
                            ChunkMaxAge = age,
                            IdleFlushInterval = idle,
                            ChunkMaxBytes = size,
                            StatusInterval = interval,
                            Logger = new TextWriterLogger(error, "sidecar"),
                            // Stepped down (or partitioned away): the new primary's sidecar goes on; this one publishes nothing more.
                            // Its database deleted: nothing more is published of it by anyone.
                            PublishAllowed = async ct => (fence is null || await fence.AllowedAsync(ct)) && await IsPrimaryAsync(client, ct),
                            Metrics = measured,
                        });
                        var lastPhase = (ArchiverPhase?)null;
                        var lastPrinted = DateTime.MinValue;
                        archiver.StatusChanged += (_, status) =>
                        {
                            if (status.Phase == lastPhase && DateTime.UtcNow - lastPrinted < interval) return;
                            (lastPhase, lastPrinted) = (status.Phase, DateTime.UtcNow);
                            lock (output) output.WriteLine(JsonSerializer.Serialize(status, ApiJson.Options));
                            Publish(Adapters.InProcessOplogArchivers.ToReport(status, DateTimeOffset.UtcNow));
                        };
                        await output.WriteLineAsync($"archiving {name} into {layout.Prefix} (timeline {timeline.Id})");
                        // A member that steps down may never reach another cut (its tail fails as a secondary): watched, the
                        // run ends as soon as it is seen, and its report stops claiming the replica set.
                        using var demoted = CancellationTokenSource.CreateLinkedTokenSource(token);
                        var watch = WatchPrimaryAsync(client, demoted);
                        try
                        {
                            await archiver.RunAsync(demoted.Token);
                        }
                        catch (ArchivingRevokedException)
                        {
                            // Seen at a cut, before the watch saw it.
                        }
                        finally
                        {
                            await demoted.CancelAsync();
                            await watch;
                        }

                        if (!token.IsCancellationRequested && fence?.Revoked is null) await output.WriteLineAsync($"this member of {name} is no longer the primary: the new primary's sidecar archives on");
                    }
                }
                finally
                {
                    ClusterRegistry.Instance.UnregisterAndDisposeCluster(client.Cluster);
                }

                void Publish(ArchivingReport report) =>
                    publisher?.PublishAsync(report, cancellation).ContinueWith(
                        t => error.WriteLine($"archiver sidecar: publishing the report on the pod failed: {t.Exception!.GetBaseException().Message}"),
                        CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }));
        return command;
    }

    /// <summary>
    /// The connection string's settings, with the credentials given apart when it carries none: set as a credential,
    /// not spliced into the string, so a password with '@', ':' or '/' needs no escaping by whoever writes the pod.
    /// </summary>
    internal static MongoClientSettings ClientSettings(string uri, string? username, string? password, MongoTlsMaterial? tls = null)
    {
        var settings = MongoClientSettings.FromConnectionString(uri);
        if (settings.Credential is null && !string.IsNullOrEmpty(username))
        {
            settings.Credential = MongoCredential.CreateCredential("admin", username, password ?? "");
        }

        if (tls is not null)
        {
            try
            {
                MongoTls.Apply(settings, tls);
            }
            catch (FormatException e)
            {
                throw new CommandFailure(ExitCodes.Usage, $"the client certificate (--tls-dir, or $MONGODB_TLS_CA, $MONGODB_TLS_CERT, $MONGODB_TLS_KEY): {e.Message}");
            }
        }

        return settings;
    }

    /// <summary>The client certificate from a mounted <c>kubernetes.io/tls</c> secret: a missing file is a usage error naming it.</summary>
    internal static MongoTlsMaterial TlsFromFolder(string folder)
    {
        string Read(string key) => Path.Combine(folder, key) is var path && File.Exists(path)
            ? File.ReadAllText(path)
            : throw new CommandFailure(ExitCodes.Usage, $"--tls-dir {folder}: no {key} (a kubernetes.io/tls secret holds ca.crt, tls.crt and tls.key)");
        return new MongoTlsMaterial(Read(MongoDBResource.TlsCaKey), Read(MongoDBResource.TlsCertificateKey), Read(MongoDBResource.TlsPrivateKeyKey));
    }

    /// <summary>
    /// Ends the round (<paramref name="renewed"/>) once the folder holds another certificate than the one connected
    /// with. Files that cannot be read for a moment (the kubelet swapping them) are looked at again next time; files
    /// that read but do not make a usable certificate are said once (a renewal that stays half done is then seen in
    /// the pod's log, not only by the connection never being renewed).
    /// </summary>
    private static async Task WatchForRenewalAsync(string folder, MongoTlsMaterial current, TextWriter output, TimeSpan interval, CancellationTokenSource renewed)
    {
        MongoTlsMaterial? refused = null;
        try
        {
            while (!renewed.IsCancellationRequested)
            {
                await Task.Delay(interval, renewed.Token);
                MongoTlsMaterial now;
                try
                {
                    now = TlsFromFolder(folder);
                }
                catch (Exception e) when (e is CommandFailure or IOException)
                {
                    continue;
                }

                // Only a certificate that parses ends a working connection: never half of a swap.
                if (now == current) continue;
                if (Parses(now))
                {
                    await renewed.CancelAsync();
                    return;
                }

                if (now != refused)
                {
                    refused = now;
                    await output.WriteLineAsync("the files in --tls-dir changed but do not make a usable client certificate yet (certificate and key do not match, or one does not parse): keeping the current connection");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The round ended for another reason.
        }
    }

    private static readonly TimeSpan RetryAfterRenewal = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often a standby looks whether its member was elected. An election takes seconds (MongoDB's default
    /// electionTimeoutMillis is 10 s); the archive's lag after a failover is about this much more.
    /// </summary>
    private static readonly TimeSpan StandbyPoll = TimeSpan.FromSeconds(1);

    /// <summary>Cancels <paramref name="demoted"/> once the member is seen not to be the primary (or cannot say so).</summary>
    private static async Task WatchPrimaryAsync(IMongoClient client, CancellationTokenSource demoted)
    {
        try
        {
            while (!demoted.IsCancellationRequested)
            {
                await Task.Delay(StandbyPoll, demoted.Token);
                bool primary;
                try
                {
                    primary = await IsPrimaryAsync(client, demoted.Token);
                }
                catch (Exception e) when (e is MongoException or TimeoutException)
                {
                    // Unreachable: the archiver itself retries; whether it may publish is asked again at the next cut.
                    continue;
                }

                if (!primary)
                {
                    await demoted.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended for another reason.
        }
    }

    /// <summary>Whether the member this sidecar is connected to (directly, in its pod) is the writable primary.</summary>
    private static async Task<bool> IsPrimaryAsync(IMongoClient client, CancellationToken cancellation)
    {
        var hello = await client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("hello", 1), cancellationToken: cancellation);
        return (hello.TryGetValue("isWritablePrimary", out var writable) ? writable : hello.GetValue("ismaster", false)).ToBoolean();
    }

    private static bool Parses(MongoTlsMaterial material)
    {
        try
        {
            MongoTls.Apply(new MongoClientSettings(), material);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>The three TLS variables together, or none of them; one or two alone is a mistake worth stopping for.</summary>
    internal static MongoTlsMaterial? TlsFromEnvironment(Func<string, string?>? variable = null)
    {
        variable ??= Environment.GetEnvironmentVariable;
        string[] names = ["MONGODB_TLS_CA", "MONGODB_TLS_CERT", "MONGODB_TLS_KEY"];
        var values = names.Select(n => variable(n) is { Length: > 0 } v ? v : null).ToArray();
        if (values.All(v => v is null)) return null;
        var missing = names.Where((_, i) => values[i] is null).ToList();
        if (missing.Count > 0)
        {
            throw new CommandFailure(ExitCodes.Usage, $"TLS needs all of $MONGODB_TLS_CA, $MONGODB_TLS_CERT and $MONGODB_TLS_KEY; missing: {string.Join(", ", missing.Select(n => "$" + n))}");
        }

        return new MongoTlsMaterial(values[0]!, values[1]!, values[2]!);
    }

    /// <summary>The variable holding the BackupStorage as JSON (the node sets it in the container it injects).</summary>
    public const string StorageVariable = SidecarStorage.EnvironmentVariable;

    /// <summary>Where the injected container has the storage's secrets mounted.</summary>
    public const string DefaultSecretsDir = SidecarStorage.SecretsRoot;

    /// <summary>
    /// The repository a BackupStorage (JSON, as the node writes it) describes, opened exactly as the node opens it
    /// (<see cref="StorageBackends"/>), its secrets from a folder of mounted secrets. Its folder, for a local storage,
    /// must be the mounted volume: one made on the container's own disk would be lost with it.
    /// </summary>
    internal static async Task<IObjectStore> OpenStorageAsync(string json, string secretsDir, CancellationToken cancellation)
    {
        var read = ManifestReader.Read(json);
        if (!read.IsValid) throw new CommandFailure(ExitCodes.Invalid, $"${StorageVariable}: {string.Join("; ", read.Errors)}");
        if (read.Resources is not [Messages.Resources.BackupStorage { Spec: not null } storage])
        {
            throw new CommandFailure(ExitCodes.Invalid, $"${StorageVariable}: must hold one BackupStorage with its spec");
        }

        try
        {
            return await StorageBackends.OpenAsync(storage, new SecretFolder(secretsDir), LocalFolders.Mounted, cancellation);
        }
        catch (Exception e) when (e is SecretNotFoundException or InvalidOperationException or NotSupportedException)
        {
            throw new CommandFailure(ExitCodes.Invalid, e.Message);
        }
    }

    private static IObjectStore OpenStore(string? folder, string? endpoint, string? bucket)
    {
        if ((folder is null) == (endpoint is null)) throw new CommandFailure(ExitCodes.Usage, "give exactly one of --storage-folder and --s3-endpoint");
        if (folder is not null) return new LocalFolderStore(Directory.CreateDirectory(folder).FullName);
        if (string.IsNullOrEmpty(bucket)) throw new CommandFailure(ExitCodes.Usage, "--s3-bucket is required with --s3-endpoint");
        var key = Environment.GetEnvironmentVariable("AWS_ACCESS_KEY_ID");
        var secret = Environment.GetEnvironmentVariable("AWS_SECRET_ACCESS_KEY");
        if (string.IsNullOrEmpty(key) || string.IsNullOrEmpty(secret)) throw new CommandFailure(ExitCodes.Usage, "S3 credentials: set $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY");
        return new S3ObjectStore(new S3Settings { ServiceUrl = new Uri(endpoint!), Bucket = bucket, AccessKey = key, SecretKey = secret });
    }
}
