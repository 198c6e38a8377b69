using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;
using Akka.Remote.Hosting;
using Archiver.Actors.Serialization;

namespace Archiver.Actors.Hosting;

/// <summary>The whole composition of an Archiver node, in one place.</summary>
public static class ArchiverHostingExtensions
{
    public const string SystemName = "archiver";

    public static AkkaConfigurationBuilder AddArchiver(this AkkaConfigurationBuilder builder, ArchiverNodeOptions options)
    {
        if (options.Problems() is [_, ..] problems) throw new ArgumentException(string.Join("; ", problems), nameof(options));

        builder
            .AddHocon(ClusterTuning.Hocon(options.Cluster), HoconAddMode.Prepend)
            .WithRemoting(ClusterTuning.Remote(options))
            .WithClustering(ClusterTuning.Clustering(options))
            .WithJournal(options.Journal)
            .WithArchiverSerialization()
            .WithOpsRequests()
            .WithArchivers()
            .WithStorageIndexes()
            .WithDatabases()
            .WithResourceWatcher();

        if (options.SeedNodes.Count == 0)
        {
            // A node with no seeds is a cluster of one: the embedded mode.
            builder.AddStartup((system, _) =>
            {
                var cluster = Cluster.Get(system);
                cluster.Join(cluster.SelfAddress);
            });
        }

        return builder;
    }

    private static AkkaConfigurationBuilder WithJournal(this AkkaConfigurationBuilder builder, JournalOptions journal)
    {
        if (journal.Provider == JournalProvider.Sqlite) builder.AddHocon(SqlJournal.SqliteHocon, HoconAddMode.Prepend);
        return builder.WithSqlPersistence(SqlJournal.Options(journal), autoInitialize: journal.AutoInitialize);
    }
}
