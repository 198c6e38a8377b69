namespace Archiver.Actors.Tests.Cluster;

/// <summary>
/// Test classes that journal to the shared PostgreSQL server. They run one after another and apart from every other
/// collection: three nodes and a database server load two cores enough to push timing-sensitive tests (failure
/// detection here, waits elsewhere) past their bounds.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "PostgreSQL";
}
