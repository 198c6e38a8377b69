using Archiver.Host.Node;

namespace Archiver.Host.Tests;

/// <summary>
/// A test class's own embedded node (brisk, SQLite in a temporary folder) with the embedded examples' storage and
/// archiver applied (<see cref="DisasterRecoveryScenario"/>), torn down after the class's tests.
/// </summary>
public abstract class ScenarioNodeTests : IAsyncLifetime
{
    private readonly string _data;

    protected ScenarioNodeTests(string name) => _data = Directory.CreateTempSubdirectory($"archiver-{name}-").FullName;

    protected ArchiverNodeHost Node { get; private set; } = null!;

    private protected DisasterRecoveryScenario Scenario { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Node = await ArchiverNodeHost.StartAsync(Settings(new NodeSettings { DataFolder = _data, HttpPort = 0, Brisk = true }), Microsoft.Extensions.Logging.LogLevel.Error);
        Scenario = await DisasterRecoveryScenario.StartAsync(_data, Node.Address, ArchiverText());
    }

    /// <summary>The node's settings: a test class may change them (shorter periods).</summary>
    private protected virtual NodeSettings Settings(NodeSettings brisk) => brisk;

    /// <summary>The archiver the scenario applies: empty for the embedded example's (see <see cref="DisasterRecoveryScenario.StartAsync"/>).</summary>
    private protected virtual string ArchiverText() => "";

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        await Scenario.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }
}
