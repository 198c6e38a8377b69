using Archiver.Mongo.Restore;
using Archiver.Storage;
using Archiver.Storage.Oplog;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// The replay's rounds with several writers (<see cref="ApplyOpsRound"/>): ops on one document, whatever form its
/// <c>_id</c> takes, go in one <c>applyOps</c> of a round and keep their order across rounds; a capped collection's ops
/// stay in one; and every batch of a round is led by the checkpoint of the round before, never by its own.
/// </summary>
public sealed class ParallelReplayTests
{
    private const string Marker = "archiver_restore.incomplete";

    [Fact]
    public async Task Ops_on_one_document_stay_in_one_batch_of_a_round_and_in_order_from_round_to_round()
    {
        var sent = new List<BsonArray>();
        var asked = new List<string>();
        var checkpoints = 0;
        Task<BsonDocument> Run(string database, BsonDocument command, CancellationToken cancellationToken)
        {
            if (command.Contains("listCollections"))
            {
                var name = command["filter"]["name"].AsString;
                asked.Add($"{database}.{name}");
                var found = name == "log" ? new BsonArray { new BsonDocument { { "name", name }, { "options", new BsonDocument { { "capped", true }, { "size", 4096 } } } } } : [];
                return Task.FromResult(new BsonDocument { { "cursor", new BsonDocument("firstBatch", found) }, { "ok", 1 } });
            }

            // The command is over the applier's reused buffer: copied before the call returns.
            sent.Add(BsonSerializer.Deserialize<BsonDocument>(command.ToBson())["applyOps"].AsBsonArray);
            return Task.FromResult(new BsonDocument("ok", 1));
        }

        var applier = new OplogApplier(new NamespaceRules(_ => true, d => d), Run, batchSize: 16, OplogTimestamp.Zero, writers: 4)
        {
            Checkpoint = () => new BsonDocument { { "op", "u" }, { "ns", Marker }, { "o", new BsonDocument("n", ++checkpoints) }, { "o2", new BsonDocument("_id", "r") } },
        };
        var entries = Workload();
        var ts = 0u;
        foreach (var entry in entries)
        {
            await applier.ApplyAsync(new OplogEntry(new OplogTimestamp(1, ++ts), 0, entry.ToBson()), CancellationToken.None);
        }

        await applier.FinishAsync(CancellationToken.None);

        // Rounds told apart by their leads: a batch led by the checkpoint made at round n's end belongs to round n + 1.
        var rounds = sent.Where(b => b[0]["ns"] != Marker || b.Count > 1).GroupBy(b => b[0]["ns"] == Marker ? b[0]["o"]["n"].ToInt32() : 0).ToList();
        Assert.True(rounds.Count >= 10, $"only {rounds.Count} rounds");
        Assert.Equal(rounds.Select(r => r.Key).Order(), rounds.Select(r => r.Key));
        Assert.All(rounds.Skip(1), r => Assert.All(r, b => Assert.Equal(Marker, b[0]["ns"].AsString)));
        Assert.True(rounds.Count(r => r.Count() > 1) >= rounds.Count / 2, "most rounds should be split over several writers");
        Assert.Equal(checkpoints, sent[^1][0]["o"]["n"].ToInt32());
        Assert.Equal(new[] { "shop.orders", "shop.log" }, asked);

        var expected = Ops(entries).ToLookup(Key);
        var applied = new List<BsonDocument>();
        foreach (var round in rounds)
        {
            var ops = round.Select(b => b.Select(v => v.AsBsonDocument).Where(o => o["ns"] != Marker).ToList()).ToList();
            foreach (var key in ops.SelectMany(b => b).Select(Key).Distinct())
            {
                Assert.Single(ops, b => b.Any(o => Key(o) == key));
            }

            applied.AddRange(ops.SelectMany(b => b));
        }

        var actual = applied.ToLookup(Key);
        Assert.Equal(expected.Select(g => g.Key).Order(), actual.Select(g => g.Key).Order());
        foreach (var document in expected)
        {
            Assert.Equal(document.ToList(), actual[document.Key].ToList());
        }
    }

    [Fact]
    public void Ids_MongoDB_holds_equal_hash_alike()
    {
        static ulong Hash(BsonValue id) => DocumentIdHash.TryHash(new BsonDocument { { "x", 1 }, { "_id", id } }.ToBson(), out var hash) ? hash : throw new InvalidOperationException();

        var one = Hash(1);
        Assert.All(new BsonValue[] { 1L, 1.0, new BsonDecimal128(Decimal128.Parse("1.00")), new BsonDecimal128(Decimal128.Parse("0.1E+1")) }, id => Assert.Equal(one, Hash(id)));
        Assert.Equal(Hash(0), Hash(-0.0));
        Assert.Equal(Hash(double.NaN), Hash(new BsonDecimal128(Decimal128.QNaN)));
        Assert.Equal(Hash("a"), Hash(BsonSymbol.Create("a")));
        Assert.Equal(Hash(BsonNull.Value), Hash(BsonUndefined.Value));
        Assert.Equal(Hash(new BsonDocument("a", 1)), Hash(new BsonDocument("a", 1.0)));
        Assert.Equal(Hash(new BsonArray { 1, "b" }), Hash(new BsonArray { 1L, "b" }));
        Assert.NotEqual(one, Hash(2));
        Assert.NotEqual(Hash(new BsonDocument("a", 1)), Hash(new BsonDocument("b", 1)));
        Assert.NotEqual(Hash(new BsonDocument("a", 1)), Hash(new BsonArray { 1 }));
        Assert.False(DocumentIdHash.TryHash(new BsonDocument("x", 1).ToBson(), out _));
    }

    /// <summary>
    /// Inserts, updates, deletes and inserts again over twelve orders, their <c>_id</c>s an int in one op and a long, a
    /// double or a decimal in the next (equal <c>_id</c>s: one document); a capped collection's inserts; and transactions
    /// (the general path) on the same orders.
    /// </summary>
    private static List<BsonDocument> Workload()
    {
        var random = new Random(7);
        var entries = new List<BsonDocument>();
        BsonValue Id(int key) => random.Next(4) switch { 0 => key, 1 => (long)key, 2 => (double)key, _ => new BsonDecimal128(key) };
        var live = new HashSet<int>();
        for (var i = 0; i < 400; i++)
        {
            var key = random.Next(12);
            if (i % 50 == 49)
            {
                var ops = new BsonArray
                {
                    new BsonDocument { { "op", "u" }, { "ns", "shop.orders" }, { "o", Diff(i) }, { "o2", new BsonDocument("_id", Id(key)) } },
                    new BsonDocument { { "op", "u" }, { "ns", "shop.orders" }, { "o", Diff(i + 1000) }, { "o2", new BsonDocument("_id", Id(key)) } },
                };
                entries.Add(new BsonDocument
                {
                    { "lsid", new BsonDocument("id", new BsonBinaryData(Guid.NewGuid(), GuidRepresentation.Standard)) },
                    { "txnNumber", 1L },
                    { "op", "c" },
                    { "ns", "admin.$cmd" },
                    { "o", new BsonDocument("applyOps", ops) },
                });
                continue;
            }

            if (i % 7 == 3)
            {
                entries.Add(new BsonDocument { { "op", "i" }, { "ns", "shop.log" }, { "o", new BsonDocument { { "_id", i }, { "at", i } } } });
                continue;
            }

            entries.Add(live.Contains(key)
                ? random.Next(3) == 0
                    ? new BsonDocument { { "op", "d" }, { "ns", "shop.orders" }, { "o", new BsonDocument("_id", Id(key)) } }
                    : new BsonDocument { { "op", "u" }, { "ns", "shop.orders" }, { "o", Diff(i) }, { "o2", new BsonDocument("_id", Id(key)) } }
                : new BsonDocument { { "op", "i" }, { "ns", "shop.orders" }, { "o", new BsonDocument { { "_id", Id(key) }, { "n", i } } } });
            if (entries[^1]["op"] == "d")
            {
                live.Remove(key);
            }
            else
            {
                live.Add(key);
            }
        }

        return entries;
    }

    private static BsonDocument Diff(int n) => new() { { "$v", 2 }, { "diff", new BsonDocument("u", new BsonDocument("n", n)) } };

    private static IEnumerable<BsonDocument> Ops(IEnumerable<BsonDocument> entries) =>
        entries.SelectMany(e => e["op"] == "c" ? e["o"]["applyOps"].AsBsonArray.Select(v => v.AsBsonDocument) : new[] { e });

    /// <summary>The document an op is on: its namespace and its <c>_id</c> as a number (every <c>_id</c> here is one); a capped collection is one key.</summary>
    private static string Key(BsonDocument op)
    {
        var ns = op["ns"].AsString;
        if (ns == "shop.log")
        {
            return ns;
        }

        var id = (op["op"] == "u" ? op["o2"] : op["o"])["_id"];
        return $"{ns}/{(id.IsDecimal128 ? (double)id.AsDecimal128 : id.ToDouble())}";
    }
}
