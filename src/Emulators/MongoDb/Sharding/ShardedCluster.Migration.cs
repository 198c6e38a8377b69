using System.Collections.Concurrent;
using Archiver.Emulators.MongoDb.Bson;
using Archiver.Emulators.MongoDb.Commands;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>
/// Chunk migrations and the balancer. A migration runs MongoDB's steps (src/mongo/db/s/migration_source_manager.cpp,
/// migration_destination_manager.cpp): the recipient clones the chunk's documents (inserts with
/// <c>fromMigrate: true</c>); in the critical section it catches up with what changed on the donor meanwhile, the
/// config server commits the new owner, and transactions that touched the chunk's collection on the donor are aborted;
/// then the donor deletes its copies (deletes with <c>fromMigrate: true</c>). One migration runs at a time.
/// </summary>
internal sealed partial class ShardedCluster
{
    private readonly SemaphoreSlim _migrations = new(1, 1);
    private long _balancerRounds;

    /// <summary>Open transactions of every router, by session id: a migration aborts the ones it would break.</summary>
    public ConcurrentDictionary<string, RouterTransaction> Transactions { get; } = new(StringComparer.Ordinal);

    public long BalancerRounds => Interlocked.Read(ref _balancerRounds);

    public bool InBalancerRound { get; private set; }

    public async Task MoveChunkAsync(string ns, BsonDocument keyInChunk, string to, CancellationToken cancellation)
    {
        Shard(to);
        await _migrations.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            var info = Routing().Collections.GetValueOrDefault(ns)
                ?? throw new CommandError(ErrorCode.NamespaceNotSharded, $"{ns} is not sharded");
            var chunk = info.Owner(keyInChunk);
            if (chunk.Shard == to)
            {
                throw new CommandError(ErrorCode.OperationFailed, $"chunk {chunk.Min} -> {chunk.Max} of {ns} is already on shard {to}");
            }

            await MigrateAsync(info, chunk, to, cancellation).ConfigureAwait(false);
        }
        finally
        {
            _migrations.Release();
        }
    }

    /// <summary>
    /// One balancer round: for each sharded collection, one chunk from the shard with the most chunks to the one with
    /// the fewest when they differ by 2 or more (the old chunk-count policy; 6.0+ weighs data size, which an emulator's
    /// small collections would never trip). Nothing while the balancer is stopped. Returns how many chunks moved.
    /// </summary>
    public async Task<int> BalanceAsync(CancellationToken cancellation)
    {
        if (BalancerStopped())
        {
            return 0;
        }

        await _migrations.WaitAsync(cancellation).ConfigureAwait(false);
        InBalancerRound = true;
        try
        {
            var moved = 0;
            foreach (var info in Routing().Collections.Values.ToList())
            {
                if (BalancerStopped())
                {
                    break;
                }

                var counts = ShardNames.ToDictionary(n => n, n => info.Chunks.Count(c => c.Shard == n), StringComparer.Ordinal);
                var most = counts.OrderByDescending(c => c.Value).First();
                var fewest = counts.OrderBy(c => c.Value).First();
                if (most.Value - fewest.Value < 2)
                {
                    continue;
                }

                await MigrateAsync(info, info.Chunks.First(c => c.Shard == most.Key), fewest.Key, cancellation).ConfigureAwait(false);
                moved++;
            }

            return moved;
        }
        finally
        {
            InBalancerRound = false;
            Interlocked.Increment(ref _balancerRounds);
            _migrations.Release();
        }
    }

    /// <summary>Stops the balancer and waits for a round under way to finish, as <c>balancerStop</c> does.</summary>
    public async Task StopBalancerAsync(CancellationToken cancellation)
    {
        await SetBalancerStoppedAsync(true, cancellation).ConfigureAwait(false);
        await _migrations.WaitAsync(cancellation).ConfigureAwait(false);
        _migrations.Release();
    }

    private async Task MigrateAsync(ShardedCollectionInfo info, ChunkInfo chunk, string to, CancellationToken cancellation)
    {
        var donor = Shard(chunk.Shard);
        var recipient = Shard(to);
        bool InChunk(BsonDocument document) => chunk.Contains(info.Key.KeyOf(document));
        BsonDocument options;
        lock (donor.State.Sync)
        {
            options = (BsonDocument)(donor.State.Storage.Find(info.Database, info.Collection)?.Options ?? new BsonDocument()).DeepClone();
        }

        // The shards' migration traffic carries the cluster time as any other: what it logs comes after what came before.
        Gossip(donor, recipient);
        var cloned = donor.State.ReadRange(info.Database, info.Collection, InChunk);
        recipient.State.ReceiveMigrated(info.Database, info.Collection, info.Uuid, options, cloned);
        if (MigrationHold is { } hold)
        {
            await hold.WaitAsync(cancellation).ConfigureAwait(false);
        }

        List<BsonDocument> final;
        using (await Gate.ExclusiveAsync(cancellation).ConfigureAwait(false))
        {
            // Catch up (MongoDB's _transferMods): what the donor's chunk holds now against what the recipient cloned.
            Gossip(donor, recipient);
            final = donor.State.ReadRange(info.Database, info.Collection, InChunk);
            var copies = recipient.State.ReadRange(info.Database, info.Collection, InChunk).ToDictionary(d => d["_id"], BsonValueKey.Instance);
            var changed = final.Where(d => !copies.TryGetValue(d["_id"], out var copy) || !BsonIdentity.BinaryEquals(copy, d)).ToList();
            var finalIds = new HashSet<BsonValue>(final.Select(d => d["_id"]), BsonValueKey.Instance);
            recipient.State.ReceiveMigrated(info.Database, info.Collection, info.Uuid, options, changed);
            recipient.State.RemoveMigrated(info.Database, info.Collection, copies.Keys.Where(id => !finalIds.Contains(id)).ToList());
            await CommitChunkMoveAsync(info, chunk, to, cancellation).ConfigureAwait(false);
            await AbortTransactionsOnAsync(chunk.Shard, info.Namespace, cancellation).ConfigureAwait(false);
        }

        // Range deletion: the donor's copies are orphans now, deleted after the commit.
        Gossip(donor, recipient);
        donor.State.RemoveMigrated(info.Database, info.Collection, final.Select(d => d["_id"]).ToList());
        Gossip(donor, recipient);
    }

    /// <summary>Brings the sets' clocks and the router's to the newest time any of them has seen.</summary>
    private void Gossip(params MongoEmulator[] sets)
    {
        foreach (var set in sets)
        {
            lock (set.State.Sync)
            {
                ObserveClusterTime(set.State.ClusterTime);
            }
        }

        foreach (var set in sets)
        {
            set.State.ObserveClusterTime(ClusterTime);
        }
    }

    /// <summary>
    /// Aborts open transactions that sent statements on <paramref name="ns"/> to the donor: their snapshot of the chunk
    /// is gone (MongoDB aborts them with a StaleConfig or migration conflict; the driver retries the whole transaction).
    /// </summary>
    private async Task AbortTransactionsOnAsync(string donor, string ns, CancellationToken cancellation)
    {
        foreach (var txn in Transactions.Values)
        {
            if (txn.Committed || txn.AbortedBecause is not null || !txn.Participants.TryGetValue(donor, out var touched) || !touched.Contains(ns))
            {
                continue;
            }

            txn.AbortedBecause = $"a chunk of {ns} migrated away from shard {donor} during the transaction";
            foreach (var participant in txn.ParticipantOrder)
            {
                await SendAsync(Shards[participant], "admin", new BsonDocument
                {
                    { "abortTransaction", 1 },
                    { "lsid", txn.Lsid },
                    { "txnNumber", txn.TxnNumber },
                    { "autocommit", false },
                }, cancellation).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Compares _id values as MongoDB does, for dictionaries keyed by them.</summary>
    private sealed class BsonValueKey : IEqualityComparer<BsonValue>
    {
        public static readonly BsonValueKey Instance = new();

        public bool Equals(BsonValue? x, BsonValue? y) => BsonOrder.Instance.Compare(x!, y!) == 0;

        public int GetHashCode(BsonValue obj) => obj.IsNumeric ? obj.ToDouble().GetHashCode() : obj.GetHashCode();
    }
}
