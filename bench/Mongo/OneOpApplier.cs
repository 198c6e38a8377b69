extern alias mongodriver;

using Archiver.Storage.Oplog;
using mongodriver::MongoDB.Bson;
using mongodriver::MongoDB.Bson.Serialization;
using mongodriver::MongoDB.Driver;

namespace Archiver.Bench.Mongo;

/// <summary>
/// The anchors' way of applying an archived oplog: every entry alone in its own <c>applyOps: [op]</c> command, a
/// round trip each. Percona Backup for MongoDB does this (percona/percona-backup-mongodb <c>pbm/oplog/restore.go</c>:
/// <c>handleNonTxnOp</c> filters the op's UUID and calls <c>applyOps([]interface{}{op})</c>, and a transaction's
/// buffered ops go through the same call one by one at its commit), and so does WAL-G (wal-g/wal-g
/// <c>internal/databases/mongo/oplog/applier.go</c> hands each op to <c>internal/databases/mongo/client/client.go</c>
/// <c>ApplyOp</c>, which runs <c>applyOps</c> with the one op). Each op carries what our own batches carry (op, ns,
/// o, o2, b; no ui), so the two sides differ only in how many ops go in a command.
/// </summary>
internal static class OneOpApplier
{
    /// <summary>Applies the plan's entries after the base backup's consistent point up to its target; returns how many entries were read.</summary>
    public static async Task<long> ApplyAsync(IMongoClient target, ArchivedHistory history)
    {
        var admin = target.GetDatabase("admin");
        var plan = history.Plan;
        var last = plan.BaseBackup.ConsistentAt;
        var transactions = new Dictionary<(BsonValue Session, long TxnNumber), List<BsonDocument>>();
        long entries = 0;
        using var reader = new OplogChunkReader(history.Store);
        foreach (var key in plan.Segments.SelectMany(s => s.Chunks).Select(c => c.Key))
        {
            var chunk = await reader.ReadAsync(key);
            foreach (var entry in chunk.Entries)
            {
                if (entry.Ts <= last)
                {
                    continue;
                }

                if (plan.Target.IsPast(entry))
                {
                    return entries;
                }

                last = entry.Ts;
                entries++;
                var op = BsonSerializer.Deserialize<BsonDocument>(entry.Document.ToArray());
                switch (op["op"].AsString)
                {
                    case "n":
                        break;
                    case "c" when op["o"].AsBsonDocument.TryGetValue("applyOps", out var inner):
                        // A transaction: buffered until its last entry, then each op alone, as PBM's handleTxnOp does.
                        var key2 = (op["lsid"], op["txnNumber"].ToInt64());
                        if (!transactions.TryGetValue(key2, out var buffered))
                        {
                            transactions[key2] = buffered = [];
                        }

                        buffered.AddRange(inner.AsBsonArray.Select(v => v.AsBsonDocument));
                        if (!op["o"].AsBsonDocument.GetValue("partialTxn", false).ToBoolean())
                        {
                            transactions.Remove(key2);
                            foreach (var one in buffered)
                            {
                                await ApplyOneAsync(admin, one);
                            }
                        }

                        break;
                    default:
                        await ApplyOneAsync(admin, op);
                        break;
                }
            }
        }

        return entries;
    }

    private static Task ApplyOneAsync(IMongoDatabase admin, BsonDocument op)
    {
        var clean = new BsonDocument { { "op", op["op"] }, { "ns", op["ns"] }, { "o", op["o"] } };
        if (op.TryGetValue("o2", out var o2))
        {
            clean.Add("o2", o2);
        }

        if (op.TryGetValue("b", out var upsert))
        {
            clean.Add("b", upsert);
        }

        return admin.RunCommandAsync<BsonDocument>(new BsonDocument("applyOps", new BsonArray { clean }));
    }
}
