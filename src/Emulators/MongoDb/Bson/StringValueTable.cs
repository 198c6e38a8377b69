using System.Text;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Bson;

/// <summary>
/// One <see cref="BsonString"/> per short string value recently decoded (<see cref="BsonDecoder"/>), shared by the
/// documents that hold it: statuses, codes, tags and names repeat across a collection's documents, and each stored
/// copy was two objects (the value and its string) that every GC of a restore copies and marks; after the compact
/// documents these were the largest group of live objects. <see cref="BsonString"/> is immutable, so sharing one is
/// not observable. As <see cref="NameTable"/>: a fixed table of slots, a newer value replacing an older one, each
/// slot replaced whole and its bytes checked before use.
/// </summary>
internal static class StringValueTable
{
    private const int Slots = 8192;

    // Longer values rarely repeat exactly; they are decoded each time.
    private const int MaxLength = 32;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly Entry?[] Table = new Entry?[Slots];

    /// <summary>The string <paramref name="utf8"/> spells (strict UTF-8: invalid bytes throw, as the driver's reader does).</summary>
    public static BsonString Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == 0)
        {
            return BsonString.Empty;
        }

        if (utf8.Length > MaxLength)
        {
            return new BsonString(StrictUtf8.GetString(utf8));
        }

        var hash = new HashCode();
        hash.AddBytes(utf8);
        var slot = (int)((uint)hash.ToHashCode() % Slots);
        if (Volatile.Read(ref Table[slot]) is { } entry && utf8.SequenceEqual(entry.Bytes))
        {
            return entry.Value;
        }

        var value = new BsonString(StrictUtf8.GetString(utf8));
        Volatile.Write(ref Table[slot], new Entry(utf8.ToArray(), value));
        return value;
    }

    private sealed record Entry(byte[] Bytes, BsonString Value);
}
