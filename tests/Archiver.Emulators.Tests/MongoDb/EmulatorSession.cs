using Archiver.Emulators.MongoDb;
using MongoDB.Driver;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>A private emulator and a client on it, for tests that use the emulator's hooks.</summary>
internal sealed class EmulatorSession : IAsyncDisposable
{
    private EmulatorSession(MongoEmulator emulator, MongoClient client)
    {
        Emulator = emulator;
        Client = client;
    }

    public MongoEmulator Emulator { get; }

    public MongoClient Client { get; }

    public static async Task<EmulatorSession> StartAsync(MongoEmulatorOptions? options = null)
    {
        var emulator = await MongoEmulator.StartAsync(options ?? new MongoEmulatorOptions { PeriodicNoopInterval = null });
        // Short heartbeats so a failover is noticed quickly.
        var client = TestClients.Create(emulator.ConnectionString, s => s.HeartbeatInterval = TimeSpan.FromMilliseconds(500));
        return new EmulatorSession(emulator, client);
    }

    public async ValueTask DisposeAsync()
    {
        TestClients.Dispose(Client);
        await Emulator.DisposeAsync();
    }
}
