using Archiver.Mongo.Restore;
using MongoDB.Bson;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// The replay's byte-level fast path (<see cref="RawCrudOp"/> writing into <see cref="ApplyOpsBatch"/>) must
/// frame exactly the <c>applyOps</c> command the document path would build, however many ops a batch holds and
/// however often its buffer is reused.
/// </summary>
public sealed class ReplayFastPathTests
{
    [Fact]
    public void A_batch_frames_the_same_applyOps_command_as_the_document_path()
    {
        var rules = new NamespaceRules(_ => true, d => d == "shop" ? "copy" : d);
        var fast = new RawCrudOp(rules);
        var round = new ApplyOpsRound(1);
        var batch = round[0];
        // Two rounds over one batch: the second reuses the (grown) buffer of the first.
        foreach (var count in new[] { 137, 12 })
        {
            var entries = Enumerable.Range(0, count).Select(Entry).ToList();
            foreach (var entry in entries)
            {
                Assert.True(fast.TryAppend(entry.ToBson(), round));
            }

            var expected = entries.Select(Expected).ToList();
            Assert.Equal(new BsonDocument("applyOps", new BsonArray(expected)), Materialise(batch.Command()));
            foreach (var index in new[] { 0, 10, count - 1 })
            {
                Assert.Equal(new BsonDocument("applyOps", new BsonArray { expected[index] }), Materialise(batch.Command(index)));
            }

            round.Clear();
        }
    }

    [Fact]
    public void Entries_the_fast_path_does_not_handle_are_left_to_the_document_path()
    {
        var fast = new RawCrudOp(new NamespaceRules(_ => true, d => d));
        var round = new ApplyOpsRound(1);
        var command = Entry(0);
        command["op"] = "c";
        var noOp = Entry(1);
        noOp["op"] = "n";
        var withoutO = Entry(3);
        withoutO.Remove("o");
        // A type byte no BSON version defines, in place of stmtId's int32.
        var unknownType = Entry(2).ToBson();
        unknownType[unknownType.AsSpan().IndexOf("stmtId\0"u8) - 1] = 0x42;

        foreach (var entry in new[] { command, noOp, withoutO })
        {
            Assert.False(fast.TryAppend(entry.ToBson(), round));
        }

        Assert.False(fast.TryAppend(unknownType, round));

        Assert.Equal(0, round.Count);
    }

    /// <summary>An oplog entry as a server logs it: session fields, op, ns, ui, o, o2, ts, wall and the chain fields.</summary>
    private static BsonDocument Entry(int i)
    {
        var op = (i % 3) switch { 0 => "i", 1 => "u", _ => "d" };
        var entry = new BsonDocument
        {
            { "lsid", new BsonDocument("id", new BsonBinaryData(Guid.NewGuid(), GuidRepresentation.Standard)) },
            { "txnNumber", (long)i },
            { "op", op },
            { "ns", i % 5 == 0 ? "shop.orders" : "stock.items" },
            { "ui", new BsonBinaryData(Guid.NewGuid(), GuidRepresentation.Standard) },
            { "o", new BsonDocument { { "_id", i }, { "note", new string('x', i % 40) } } },
        };
        if (op == "u")
        {
            if (i % 4 == 3)
            {
                // o and o2 apart: the op is assembled from separate copies.
                entry.Add("fromMigrate", false);
            }

            entry.Add("o2", new BsonDocument("_id", i));
            if (i % 2 == 0)
            {
                entry.Add("b", true);
            }
        }

        entry.Add("ts", new BsonTimestamp(1_700_000_000, i + 1));
        entry.Add("t", 1L);
        entry.Add("v", 2L);
        entry.Add("wall", new BsonDateTime(DateTime.UnixEpoch.AddSeconds(1_700_000_000)));
        entry.Add("stmtId", i);
        entry.Add("prevOpTime", new BsonDocument { { "ts", new BsonTimestamp(0, 0) }, { "t", -1L } });
        return entry;
    }

    private static BsonDocument Expected(BsonDocument entry)
    {
        var ns = entry["ns"].AsString;
        var op = new BsonDocument
        {
            { "op", entry["op"] },
            { "ns", ns.StartsWith("shop.", StringComparison.Ordinal) ? "copy" + ns["shop".Length..] : ns },
            { "o", entry["o"] },
        };
        if (entry.TryGetValue("o2", out var o2))
        {
            op.Add("o2", o2);
        }

        if (entry.TryGetValue("b", out var upsert))
        {
            op.Add("b", upsert);
        }

        return op;
    }

    private static BsonDocument Materialise(BsonDocument command) =>
        MongoDB.Bson.Serialization.BsonSerializer.Deserialize<BsonDocument>(command.ToBson());
}
