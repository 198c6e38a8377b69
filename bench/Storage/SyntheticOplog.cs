using System.Buffers.Binary;
using System.Text;
using Archiver.Storage;
using Archiver.Storage.Oplog;

namespace Archiver.Bench.Storage;

/// <summary>
/// Oplog-shaped entries for benchmarks: BSON-framed documents with the field names, namespaces and mixed
/// values of insert/update entries, about 250 bytes each, so zstd sees realistic redundancy.
/// </summary>
internal static class SyntheticOplog
{
    public static List<OplogEntry> Entries(int count, int seed)
    {
        var random = new Random(seed);
        var entries = new List<OplogEntry>(count);
        var wall = 1_764_000_000_000L;
        for (var i = 0; i < count; i++)
        {
            var ts = new OplogTimestamp(1_764_000_000 + (uint)(i / 1000), (uint)(i % 1000) + 1);
            wall += random.Next(2);
            var op = random.Next(4) == 0 ? "u" : "i";
            var text = $"op\0{op}\0ns\0shop.orders\0ui\0{random.Next(3)}\0o\0_id\0{Guid.NewGuid():N}\0customer\0c-{random.Next(50_000)}\0" +
                $"items\0{random.Next(1, 9)}\0total\0{random.NextDouble() * 1000:0.00}\0status\0{(random.Next(3) == 0 ? "paid" : "new")}\0" +
                $"note\0{new string((char)('a' + random.Next(26)), random.Next(10, 60))}\0v\0{random.Next()}\0wall\0{wall}";
            var body = Encoding.UTF8.GetBytes(text);
            var document = new byte[body.Length + 5];
            BinaryPrimitives.WriteInt32LittleEndian(document, document.Length);
            body.CopyTo(document, 4);
            entries.Add(new OplogEntry(ts, wall, document));
        }

        return entries;
    }
}
