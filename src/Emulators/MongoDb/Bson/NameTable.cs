using System.Text;

namespace Archiver.Emulators.MongoDb.Bson;

/// <summary>
/// One string per element name seen, shared by every document decoded (<see cref="BsonDecoder"/>): a collection's
/// documents repeat the same few dozen names, and a fresh string for each was a third of the objects the emulator
/// keeps (a heap dump after a restore: 458,000 strings, almost all names). A fixed table of slots chosen by a hash of
/// the bytes; a slot holds one name and a newer name replaces it, so the table stays small whatever comes. Each slot
/// is replaced whole, so readers on any thread see either the old name or the new one, and check its bytes before use.
/// </summary>
internal static class NameTable
{
    private const int Slots = 4096;

    // Longer names are decoded each time: they are rare, and would crowd the slots.
    private const int MaxLength = 64;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly Entry?[] Table = new Entry?[Slots];

    /// <summary>The name <paramref name="utf8"/> spells (strict UTF-8: invalid bytes throw, as the driver's reader does).</summary>
    public static string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxLength)
        {
            return StrictUtf8.GetString(utf8);
        }

        var slot = (int)((uint)HashCode.Combine(Hash(utf8), utf8.Length) % Slots);
        if (Volatile.Read(ref Table[slot]) is { } entry && utf8.SequenceEqual(entry.Bytes))
        {
            return entry.Name;
        }

        var name = utf8.Length == 0 ? string.Empty : StrictUtf8.GetString(utf8);
        Volatile.Write(ref Table[slot], new Entry(utf8.ToArray(), name));
        return name;
    }

    private static int Hash(ReadOnlySpan<byte> utf8)
    {
        var hash = new HashCode();
        hash.AddBytes(utf8);
        return hash.ToHashCode();
    }

    private sealed record Entry(byte[] Bytes, string Name);
}
