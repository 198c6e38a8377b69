using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using LinqToDB;

namespace Archiver.Actors.Hosting;

/// <summary>
/// The journal's connections, set up on opening (Akka.Persistence.Sql creates the tables itself, at first use):
/// <list type="bullet">
/// <item>An index on <c>journal(persistence_id, sequence_number)</c>, on both providers. The tables the plugin
/// creates have none, so every entity's recovery (its highest sequence number, then its events) scanned the whole
/// journal: recoveries grew slower with every event written, and configuring 10,000 databases started 20,000
/// entities. The plugin's own DDL scripts carry this index; it is created here once the table exists.</item>
/// <item>SQLite (the embedded node) as SQLite advises for one process committing many small transactions:
/// write-ahead logging (readers, such as recovering entities, no longer wait for the writer) with
/// <c>synchronous = NORMAL</c> (a commit appends to the log without waiting for the disk, which is synced at each
/// checkpoint), and one journal writer (<see cref="SqliteHocon"/>), since SQLite takes one writer at a time and
/// parallel batches only queue on its lock. What this gives up: after a power loss or an operating-system crash
/// the last commits before it may be lost (never a corrupt file); a node whose process crashes loses nothing, the
/// log being the operating system's once written. Entities then repeat at most the step they were in, and steps
/// are idempotent. PostgreSQL (a cluster) keeps its own durability settings.</item>
/// </list>
/// </summary>
internal static class SqlJournal
{
    public const string SqliteHocon = "akka.persistence.journal.sql.parallelism = 1";

    private const string Index = "CREATE INDEX IF NOT EXISTS journal_persistence_id_sequence_number_idx ON journal (persistence_id, sequence_number)";

    // Per connection string: whether the index exists, and when it was last tried (the table may not exist yet).
    private static readonly ConcurrentDictionary<string, Setup> Setups = new(StringComparer.Ordinal);

    public static DataOptions Options(JournalOptions journal)
    {
        var sqlite = journal.Provider == JournalProvider.Sqlite;
        return new DataOptions()
            .UseConnectionString(sqlite ? ProviderName.SQLiteMS : ProviderName.PostgreSQL15, journal.ConnectionString)
            .UseAfterConnectionOpened(c => Opened(c, sqlite), (c, _) =>
            {
                Opened(c, sqlite);
                return Task.CompletedTask;
            });
    }

    private static void Opened(DbConnection connection, bool sqlite)
    {
        var setup = Setups.GetOrAdd(connection.ConnectionString, _ => new Setup());
        if (sqlite)
        {
            // The journal mode belongs to the file: switched once, by the first connection.
            lock (setup)
            {
                if (!setup.Wal) setup.Wal = Execute(connection, "PRAGMA journal_mode = WAL;");
            }

            Execute(connection, "PRAGMA synchronous = NORMAL;");
        }

        if (setup.Indexed || Stopwatch.GetElapsedTime(Volatile.Read(ref setup.TriedAt)) < TimeSpan.FromSeconds(1)) return;
        Volatile.Write(ref setup.TriedAt, Stopwatch.GetTimestamp());
        // Fails while the plugin has not created the table yet, or when another node creates the index at the same
        // moment: tried again on a later connection.
        setup.Indexed = Execute(connection, Index);
    }

    private static bool Execute(DbConnection connection, string sql)
    {
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
            return true;
        }
        catch (DbException)
        {
            return false;
        }
    }

    private sealed class Setup
    {
        public long TriedAt = long.MinValue / 2;

        public volatile bool Indexed;

        public bool Wal;
    }
}
