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
    /// Failure detection and hand-over tuned to bring an entity back on a survivor in under 10 s (Akka's defaults
    /// take about 48 s). Off keeps Akka's defaults; see docs/cluster.md for the reasons behind each value.
    /// </summary>
    public bool FastFailover { get; init; } = true;
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
