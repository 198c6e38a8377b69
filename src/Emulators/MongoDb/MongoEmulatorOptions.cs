namespace Archiver.Emulators.MongoDb;

/// <summary>How to start a <see cref="MongoEmulator"/>. Defaults match a MongoDB 7.0 replica set where that matters.</summary>
public sealed record MongoEmulatorOptions
{
    /// <summary>Port of the first member; 0 picks a free one. Other members always get free ports.</summary>
    public int Port { get; init; }

    /// <summary>Emulated replica-set members (1–7, MongoDB's most voting members), sharing one data set and oplog; member 0 starts as primary.</summary>
    public int Members { get; init; } = 1;

    /// <summary>
    /// The host strings hello, replSetGetStatus and <see cref="MongoEmulator.Hosts"/> name the members by, one per member
    /// (e.g. <c>mg-0.mg-pods.demo.svc:27017</c> for members served at pod addresses); null: <c>127.0.0.1:port</c>. A
    /// driver finds the members by these names, so they must resolve to where the members listen.
    /// </summary>
    public IReadOnlyList<string>? AdvertisedHosts { get; init; }

    /// <summary>
    /// Every member starts stopped (not listening), to be started with <see cref="MongoEmulator.StartMember(int, System.Net.IPEndPoint)"/> on an
    /// address of the caller's choosing; needs <see cref="AdvertisedHosts"/>.
    /// </summary>
    public bool StartStopped { get; init; }

    /// <summary>
    /// Users of the <c>admin</c> database (name → password), each with the <c>root</c> role. When set, clients must
    /// authenticate (SCRAM-SHA-256 or SCRAM-SHA-1) before any command but the handshake, ping and buildInfo, as
    /// mongod with <c>--auth</c>; null or empty: no authentication.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Users { get; init; }

    public string ReplicaSetName { get; init; } = "rs0";

    /// <summary>Cap of <c>local.oplog.rs</c> in bytes (sum of the entries' BSON sizes).</summary>
    public long OplogSizeBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Interval of the periodic no-op writer (MongoDB's periodicNoopIntervalSecs, default 10 s); null turns it off.</summary>
    public TimeSpan? PeriodicNoopInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Most operations per applyOps entry of a transaction before it becomes a partialTxn chain.</summary>
    public int TransactionEntryMaxOperations { get; init; } = int.MaxValue;

    /// <summary>Most bytes of operations per applyOps entry of a transaction (MongoDB: 16 MB).</summary>
    public int TransactionEntryMaxBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// When set, every member speaks TLS only (mongod's <c>--tlsMode requireTLS</c>), as a KubeDB database with
    /// <c>spec.sslMode: requireSSL</c> does.
    /// </summary>
    public MongoEmulatorTls? Tls { get; init; }

    /// <summary>
    /// One folder per member (its dbPath), or null to keep everything in memory only (the default, and the fast path:
    /// nothing is written). A member's folder holds a checkpoint of everything (written on <c>fsync</c>, when the member
    /// catches up, and at a clean stop) and a journal of what it applied since, appended as it applies it; nothing while
    /// it is fsync-locked. At start the set takes the data and oplog of the folder that reached furthest (they may come
    /// from another replica set, as a restored volume snapshot does) and keeps its own name and hosts from these options;
    /// a folder that cannot be recovered fails the start with a <see cref="MongoDataDirectoryException"/>. An entry may be
    /// null: that member's folder is not known yet (a pod whose volume is not bound yet) and is given when it starts
    /// (<see cref="MongoEmulator.StartMember(int, System.Net.IPEndPoint, string)"/>).
    /// </summary>
    public IReadOnlyList<string?>? DataDirectories { get; init; }

    /// <summary>The clock behind <c>ts</c> and <c>wall</c>; tests may substitute one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <param name="ServerCertificate">The members' certificate, with its private key.</param>
/// <param name="ClientCa">
/// When set, a client must present a certificate this CA issued (mongod's <c>--tlsCAFile</c> without
/// <c>--tlsAllowConnectionsWithoutCertificates</c>); when null, no client certificate is asked for.
/// </param>
public sealed record MongoEmulatorTls(System.Security.Cryptography.X509Certificates.X509Certificate2 ServerCertificate, System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCa);
