using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Mongo.Sharding;

/// <summary>
/// Keeps chunks where they are for a full backup, as PBM does: the balancer is stopped (<c>balancerStop</c>, which
/// waits for a round under way) and started again when disposed, on every path, but only if it was running before:
/// a balancer the user stopped stays stopped.
/// </summary>
public sealed class BalancerPause : IAsyncDisposable
{
    private readonly IMongoDatabase _admin;
    private readonly bool _wasRunning;

    private BalancerPause(IMongoDatabase admin, bool wasRunning)
    {
        _admin = admin;
        _wasRunning = wasRunning;
    }

    /// <summary>Whether the balancer was running when the pause began (and will be started again).</summary>
    public bool WasRunning => _wasRunning;

    public static async Task<BalancerPause> StopAsync(IMongoClient router, CancellationToken cancellation)
    {
        var admin = router.GetDatabase("admin");
        var status = await admin.RunCommandAsync<BsonDocument>(new BsonDocument("balancerStatus", 1), cancellationToken: cancellation);
        var running = status.GetValue("mode", "off").AsString != "off";
        if (running)
        {
            await admin.RunCommandAsync<BsonDocument>(new BsonDocument("balancerStop", 1), cancellationToken: cancellation);
        }

        return new BalancerPause(admin, running);
    }

    public async ValueTask DisposeAsync()
    {
        if (_wasRunning)
        {
            // Not the backup's token: a cancelled backup must still leave the balancer as it found it.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _admin.RunCommandAsync<BsonDocument>(new BsonDocument("balancerStart", 1), cancellationToken: timeout.Token);
        }
    }
}
