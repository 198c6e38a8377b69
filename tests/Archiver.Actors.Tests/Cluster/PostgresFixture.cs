using System.Collections.Concurrent;

namespace Archiver.Actors.Tests.Cluster;

/// <summary>
/// One PostgreSQL server for every test class in <see cref="PostgresCollection"/>, stopped after the last of them;
/// each class gets a database of its own, so journals of different classes never meet.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private readonly ConcurrentDictionary<Type, Lazy<Task<string>>> _databases = new();
    private PostgresServer? _server;

    /// <summary>The connection string of the test class's own database, created on first use.</summary>
    public Task<string> DatabaseForAsync(Type testClass) =>
        _databases.GetOrAdd(testClass, type => new Lazy<Task<string>>(() => Server.CreateDatabaseAsync(type.Name))).Value;

    public async Task InitializeAsync() => _server = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private PostgresServer Server => _server ?? throw new InvalidOperationException("the PostgreSQL server has not started");
}
