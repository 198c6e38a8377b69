using System.Net;
using System.Net.Sockets;
using Archiver.Emulators.MongoDb;
using Archiver.Emulators.MongoDb.Wire;
using MongoDB.Bson;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>
/// Stopping the emulator with clients connected: the shutdown wakes every connection's serve loop, which closes
/// its socket, while it resets every connection still listed. Tests that disposed an emulator failed about once
/// in 30 runs of the Mongo suite with an <see cref="ObjectDisposedException"/> from the reset of a socket its
/// loop had just closed.
/// </summary>
[Trait("Target", "EmulatorOnly")]
public sealed class ShutdownTests
{
    [EmulatorOnlyFact]
    public async Task Stopping_with_clients_connected_is_clean()
    {
        for (var round = 0; round < 20; round++)
        {
            var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null });
            var port = int.Parse(emulator.Hosts[0].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
            var clients = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => ConnectAsync(port)));
            try
            {
                await emulator.DisposeAsync();
            }
            finally
            {
                foreach (var client in clients)
                {
                    client.Dispose();
                }
            }
        }
    }

    /// <summary>A connection the server has certainly registered: it answered a ping on it.</summary>
    private static async Task<TcpClient> ConnectAsync(int port)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(WireCodec.EncodeMsg(1, 0, new BsonDocument { { "ping", 1 }, { "$db", "admin" } }));
        Assert.NotNull(await WireCodec.ReadAsync(stream, CancellationToken.None));
        return client;
    }
}
