using Archiver.Emulators.MongoDb;
using MongoDB.Driver;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// The server a test class talks to: a fresh emulator, or the real replica set named by
/// <c>ARCHIVER_TEST_MONGODB_URI</c>. Tests use their own database names, so a real server can be shared.
/// </summary>
public sealed class MongoTarget : IAsyncLifetime
{
    public const string UriVariable = "ARCHIVER_TEST_MONGODB_URI";

    public static string? RealServerUri => Environment.GetEnvironmentVariable(UriVariable) is { Length: > 0 } uri ? uri : null;

    public MongoEmulator? Emulator { get; private set; }

    public MongoClient Client { get; private set; } = null!;

    /// <summary>Emulator options for this class (ignored against a real server).</summary>
    public MongoEmulatorOptions Options { get; init; } = new() { PeriodicNoopInterval = null };

    public async Task InitializeAsync()
    {
        var uri = RealServerUri;
        if (uri is null)
        {
            Emulator = await MongoEmulator.StartAsync(Options);
            uri = Emulator.ConnectionString;
        }

        Client = TestClients.Create(uri);
    }

    public async Task DisposeAsync()
    {
        TestClients.Dispose(Client);
        if (Emulator is not null)
        {
            await Emulator.DisposeAsync();
        }
    }

    /// <summary>A database name no other test uses.</summary>
    public static string NewDatabaseName(string purpose) => $"t_{purpose}_{Guid.NewGuid():N}"[..(purpose.Length + 15)];
}
