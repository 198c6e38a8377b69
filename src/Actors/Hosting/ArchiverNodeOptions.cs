namespace Archiver.Actors.Hosting;

/// <summary>How one Archiver node runs: where it listens, whom it joins, where it journals.</summary>
public sealed record ArchiverNodeOptions
{
    public string Hostname { get; init; } = "127.0.0.1";

    /// <summary>
    /// The name other nodes reach this one by, when it is not <see cref="Hostname"/>: a pod binds 0.0.0.0 and is
    /// reached by its StatefulSet DNS name (<c>archiver-0.archiver.ns.svc</c>), which is also what seeds name.
    /// </summary>
    public string? PublicHostname { get; init; }

    /// <summary>0 picks a free port (the embedded node); a cluster member needs a fixed one.</summary>
    public int Port { get; init; }

    /// <summary>Seed nodes as <c>akka.tcp://archiver@host:port</c>; none means this node forms a cluster of its own.</summary>
    public IReadOnlyList<string> SeedNodes { get; init; } = [];

    public JournalOptions Journal { get; init; } = JournalOptions.Sqlite("archiver.db");

    /// <summary>
    /// Failure detection and hand-over: <see cref="ClusterTuningOptions.FastFailover"/> (the default) brings an entity
    /// back on a survivor in under 10 s; <see cref="ClusterTuningOptions.AkkaDefaults"/> takes about 48 s. See
    /// docs/cluster.md for the reasons behind each value.
    /// </summary>
    public ClusterTuningOptions Cluster { get; init; } = ClusterTuningOptions.FastFailover;

    /// <summary>
    /// The largest message remoting carries between nodes, in bytes (<c>akka.remote.dot-netty.tcp.maximum-frame-size</c>;
    /// Akka's default is 128,000). A restore plan travels as a document naming every chunk, and a long point-in-time
    /// restore's can be larger than that: 8 MiB by default. A larger message is dropped by the sender with an error in
    /// its log, and whoever waited for it times out.
    /// </summary>
    public int MaximumFrameSize { get; init; } = DefaultMaximumFrameSize;

    public const int DefaultMaximumFrameSize = 8 * 1024 * 1024;

    /// <summary>Akka's own floor for <see cref="MaximumFrameSize"/>.</summary>
    public const int MinimumFrameSize = 32_000;

    /// <summary>What is wrong with these options, each naming its option; empty when a node can start with them.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Port is < 0 or > 65535) problems.Add($"{nameof(ArchiverNodeOptions)}.{nameof(Port)} must be 0 (any free port) to 65535 (is {Port})");
        if (MaximumFrameSize < MinimumFrameSize)
        {
            problems.Add($"{nameof(ArchiverNodeOptions)}.{nameof(MaximumFrameSize)} must be at least {MinimumFrameSize} bytes, Akka's floor (is {MaximumFrameSize})");
        }

        if (Cluster is null) problems.Add($"{nameof(ArchiverNodeOptions)}.{nameof(Cluster)} must be set (e.g. {nameof(ClusterTuningOptions)}.{nameof(ClusterTuningOptions.FastFailover)})");
        else problems.AddRange(Cluster.Problems($"{nameof(ArchiverNodeOptions)}.{nameof(Cluster)}"));
        return problems;
    }
}

public enum JournalProvider
{
    Sqlite,
    PostgreSql,
}

/// <summary>The Akka.Persistence.Sql journal and snapshot store.</summary>
/// <param name="AutoInitialize">Create the tables if missing; in a cluster let one node do it, as several creating
/// them at once race.</param>
public sealed record JournalOptions(JournalProvider Provider, string ConnectionString, bool AutoInitialize = true)
{
    public static JournalOptions Sqlite(string file) => new(JournalProvider.Sqlite, $"Data Source={file}");

    public static JournalOptions PostgreSql(string connectionString, bool autoInitialize = true) =>
        new(JournalProvider.PostgreSql, connectionString, autoInitialize);
}
