using Archiver.Emulators.MongoDb;
using MongoDB.Driver;

namespace Archiver.Mongo.Tests;

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
        return new EmulatorSession(emulator, TestClients.Create(emulator.ConnectionString));
    }

    public async ValueTask DisposeAsync()
    {
        TestClients.Dispose(Client);
        await Emulator.DisposeAsync();
    }
}
