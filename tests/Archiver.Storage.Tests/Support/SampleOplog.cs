using System.Buffers.Binary;
using System.Text;
using Archiver.Storage.Oplog;

namespace Archiver.Storage.Tests.Support;

/// <summary>Oplog-like entries: a BSON-shaped document (length prefix, some text) per ts, deterministic per seed.</summary>
internal static class SampleOplog
{
    public const long EpochWallMs = 1_700_000_000_000;

    public static List<OplogEntry> Entries(uint firstSeconds, int count, int perSecond = 3, int seed = 0)
    {
        var random = new Random(seed);
        var entries = new List<OplogEntry>(count);
        for (var i = 0; i < count; i++)
        {
            var ts = new OplogTimestamp(firstSeconds + (uint)(i / perSecond), (uint)(i % perSecond) + 1);
            entries.Add(new OplogEntry(ts, WallOf(ts), Document(random, i)));
        }

        return entries;
    }

    public static long WallOf(OplogTimestamp ts) => (ts.Seconds * 1000L) + ts.Increment;

    public static byte[] Document(Random random, int i)
    {
        var text = Encoding.UTF8.GetBytes($"{{op:'i',ns:'shop.orders',o:{{_id:{i},qty:{random.Next(100)},note:'{new string('x', random.Next(40))}'}}}}");
        var document = new byte[text.Length + 5];
        BinaryPrimitives.WriteInt32LittleEndian(document, document.Length);
        text.CopyTo(document, 4);
        return document;
    }
}
