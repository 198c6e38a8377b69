using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>
/// Replays one database's oplog entries onto another database with applyOps, the way mongorestore
/// --oplogReplay does: namespaces rewritten, <c>ui</c> stripped, index builds turned into createIndexes,
/// transactions applied from their applyOps entry, no-ops skipped. Enough for the tests; not the product's.
/// </summary>
internal static class OplogReplay
{
    public static async Task ApplyAsync(IMongoClient client, IEnumerable<BsonDocument> entries, string from, string to)
    {
        var admin = client.GetDatabase("admin");
        var pending = new Dictionary<string, List<BsonValue>>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var op = entry["op"].AsString;
            if (op == "n")
            {
                continue;
            }

            var o = entry["o"].AsBsonDocument;
            if (op == "c" && o.Contains("applyOps"))
            {
                // A transaction: buffer partialTxn entries until the entry that commits the chain.
                var key = entry.Contains("lsid") ? $"{entry["lsid"]["id"]}:{entry["txnNumber"]}" : string.Empty;
                if (!pending.TryGetValue(key, out var ops))
                {
                    ops = [];
                    pending[key] = ops;
                }

                ops.AddRange(o["applyOps"].AsBsonArray.Select(x => (BsonValue)Rewrite(x.AsBsonDocument, from, to)));
                if (o.GetValue("partialTxn", false).ToBoolean())
                {
                    continue;
                }

                pending.Remove(key);
                await admin.RunCommandAsync<BsonDocument>(new BsonDocument("applyOps", new BsonArray(ops)));
                continue;
            }

            if (op == "c" && o.GetElement(0).Name is "createIndexes" or "commitIndexBuild")
            {
                await CreateIndexesAsync(client.GetDatabase(to), o);
                continue;
            }

            if (op == "c" && o.GetElement(0).Name is "startIndexBuild" or "abortIndexBuild")
            {
                continue;
            }

            await admin.RunCommandAsync<BsonDocument>(new BsonDocument("applyOps", new BsonArray { Rewrite(entry, from, to) }));
        }
    }

    private static BsonDocument Rewrite(BsonDocument entry, string from, string to)
    {
        var op = new BsonDocument();
        foreach (var element in entry)
        {
            switch (element.Name)
            {
                case "ns":
                    op.Add("ns", to + element.Value.AsString[from.Length..]);
                    break;
                case "op" or "o" or "o2" or "b":
                    op.Add(element);
                    break;
            }
        }

        return op;
    }

    private static async Task CreateIndexesAsync(IMongoDatabase database, BsonDocument o)
    {
        var collection = o[0].AsString;
        var specs = o.Contains("indexes")
            ? o["indexes"].AsBsonArray
            : [new BsonDocument(o.Where(e => e.Name != "createIndexes"))];
        await database.RunCommandAsync<BsonDocument>(new BsonDocument { { "createIndexes", collection }, { "indexes", specs } });
    }
}
