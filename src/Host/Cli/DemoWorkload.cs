using System.Security.Cryptography;
using MongoDB.Bson;
using MongoDB.Driver;

namespace Archiver.Host.Cli;

/// <summary>
/// What the demo writes and how it compares: a small shop (customers, orders, inventory) changed by inserts,
/// updates, deletes and a dropped collection; contents compared collection by collection, documents in <c>_id</c>
/// order as BSON bytes, with their indexes.
/// </summary>
internal sealed class DemoWorkload(IMongoClient client, string database, int documents)
{
    private readonly IMongoDatabase _db = client.GetDatabase(database);

    public string Database => database;

    public async Task<long> SeedAsync(CancellationToken cancellation)
    {
        var customers = Enumerable.Range(0, documents).Select(i => new BsonDocument { { "_id", i }, { "name", $"customer {i}" }, { "tier", i % 3 } });
        var orders = Enumerable.Range(0, documents).Select(i => new BsonDocument { { "_id", i }, { "customer", i % (documents / 2 + 1) }, { "total", i * 1.5 }, { "state", "new" } });
        var inventory = Enumerable.Range(0, documents / 5 + 1).Select(i => new BsonDocument { { "_id", $"sku-{i}" }, { "stock", 100 } });
        await _db.GetCollection<BsonDocument>("customers").InsertManyAsync(customers, cancellationToken: cancellation);
        await _db.GetCollection<BsonDocument>("orders").InsertManyAsync(orders, cancellationToken: cancellation);
        await _db.GetCollection<BsonDocument>("inventory").InsertManyAsync(inventory, cancellationToken: cancellation);
        await _db.GetCollection<BsonDocument>("orders").Indexes.CreateOneAsync(
            new CreateIndexModel<BsonDocument>(new BsonDocument("customer", 1), new CreateIndexOptions { Name = "by_customer" }), cancellationToken: cancellation);
        return documents * 2L + documents / 5 + 1;
    }

    /// <summary>One round of changes; <paramref name="round"/> makes each round's changes different.</summary>
    public async Task<long> ChangeAsync(int round, CancellationToken cancellation)
    {
        var orders = _db.GetCollection<BsonDocument>("orders");
        var customers = _db.GetCollection<BsonDocument>("customers");
        long writes = 0;
        for (var i = round; i < documents; i += 7)
        {
            await orders.UpdateOneAsync(new BsonDocument("_id", i), new BsonDocument("$set", new BsonDocument { { "state", $"shipped-{round}" } }).Add("$inc", new BsonDocument("total", round)), cancellationToken: cancellation);
            writes++;
        }

        var doomed = new BsonArray(Enumerable.Range(0, documents).Where(i => i % 11 == round));
        var deleted = await customers.DeleteManyAsync(new BsonDocument("_id", new BsonDocument("$in", doomed)), cancellation);
        writes += deleted.DeletedCount;
        await orders.InsertManyAsync(Enumerable.Range(0, documents / 10 + 1).Select(i => new BsonDocument { { "_id", $"r{round}-{i}" }, { "customer", i }, { "total", round * 10.0 }, { "state", "new" } }), cancellationToken: cancellation);
        writes += documents / 10 + 1;
        return writes;
    }

    public Task DropInventoryAsync(CancellationToken cancellation) => _db.DropCollectionAsync("inventory", cancellation);

    /// <summary>Collections, index names, document counts and a SHA-256 over every document's bytes in <c>_id</c> order.</summary>
    public static async Task<Contents> ReadAsync(IMongoClient client, string database, CancellationToken cancellation)
    {
        var db = client.GetDatabase(database);
        var names = (await (await db.ListCollectionNamesAsync(cancellationToken: cancellation)).ToListAsync(cancellation))
            .Where(n => !n.StartsWith("system.", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var collections = new List<string>();
        long count = 0;
        foreach (var name in names)
        {
            var collection = db.GetCollection<BsonDocument>(name);
            var indexes = (await (await collection.Indexes.ListAsync(cancellation)).ToListAsync(cancellation)).Select(i => i["name"].AsString).Order(StringComparer.Ordinal);
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"{name}|{string.Join(",", indexes)}|"));
            long n = 0;
            using var cursor = await collection.Find(FilterDefinition<BsonDocument>.Empty).Sort(new BsonDocument("_id", 1)).ToCursorAsync(cancellation);
            while (await cursor.MoveNextAsync(cancellation))
            {
                foreach (var document in cursor.Current)
                {
                    hash.AppendData(document.ToBson());
                    n++;
                }
            }

            collections.Add($"{name} ({n})");
            count += n;
        }

        return new Contents(collections, count, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    public sealed record Contents(IReadOnlyList<string> Collections, long Documents, string Sha256)
    {
        public override string ToString() => $"{Collections.Count} collections [{string.Join(", ", Collections)}], {Documents:N0} documents, sha256 {Sha256[..16]}";
    }
}
