using System.Buffers.Binary;
using System.Text;
using MongoDB.Bson;

namespace Archiver.Mongo.Restore;

/// <summary>
/// The replay's fast path for plain inserts, updates and deletes (almost every entry): the op applyOps gets is
/// built by copying the <c>op</c>, <c>o</c>, <c>o2</c> and <c>b</c> elements byte for byte and writing the
/// (mapped) <c>ns</c>, without deserialising the entry. Anything else (commands, transactions, views' definitions
/// in <c>system.views</c>) returns false and takes the general path, as does an op whose partition is not known yet
/// (its collection not asked about since the last command, or no <c>_id</c> to hash: <see cref="ApplyOpsRound"/>).
/// Not thread-safe: it caches the last namespace, since consecutive entries share one.
/// </summary>
internal sealed class RawCrudOp(NamespaceRules rules)
{
    private const int Other = 0, Op = 1, Ns = 2, O = 3, O2 = 4, B = 5;

    private byte[] _lastNs = [];
    private byte[]? _lastMapped;
    private string _lastMappedName = string.Empty;
    private ulong _lastNsHash;
    private bool? _lastById;
    private int _lastGeneration = -1;

    /// <summary>False if the entry is not a plain CRUD op or its partition is not known; otherwise true, and the op is in <paramref name="round"/> unless its namespace is skipped.</summary>
    public bool TryAppend(ReadOnlySpan<byte> entry, ApplyOpsRound round)
    {
        // Element [start, end) offsets; an end of zero is a field not seen.
        int opStart = 0, opEnd = 0, nsStart = 0, nsEnd = 0, oStart = 0, oEnd = 0, o2Start = 0, o2End = 0, bStart = 0, bEnd = 0;
        var position = 4;
        var end = BinaryPrimitives.ReadInt32LittleEndian(entry) - 1;
        while (position < end)
        {
            var start = position;
            var type = entry[position];
            var field = Other;
            // Most names have one or two characters (op, ns, o, o2, ui, ts, t, v): those are told apart by their
            // bytes where they stand, and only longer names are searched for their terminator.
            var first = entry[position + 1];
            if (first == 0)
            {
                position += 2;
            }
            else if (entry[position + 2] == 0)
            {
                field = first switch { (byte)'o' => O, (byte)'b' => B, _ => Other };
                position += 3;
            }
            else if (entry[position + 3] == 0)
            {
                field = (first, entry[position + 2]) switch
                {
                    ((byte)'o', (byte)'p') => Op,
                    ((byte)'n', (byte)'s') => Ns,
                    ((byte)'o', (byte)'2') => O2,
                    _ => Other,
                };
                position += 4;
            }
            else
            {
                position += 4;
                while (entry[position] != 0)
                {
                    position++;
                }

                position++;
            }

            var valueStart = position;
            // An element this fast path does not know sends the entry down the general path.
            if (!OplogFields.TryValueLength(type, entry[position..], out var length))
            {
                return false;
            }

            position += length;
            switch (field)
            {
                case Other:
                    break;
                case Op:
                    // A one-character string: length 2, the character, its terminator.
                    if (type != 0x02 || length != 6 || entry[valueStart + 4] is not ((byte)'i' or (byte)'u' or (byte)'d'))
                    {
                        return false;
                    }

                    (opStart, opEnd) = (start, position);
                    break;
                case Ns when type == 0x02:
                    (nsStart, nsEnd) = (valueStart + 4, position - 1);
                    break;
                case O:
                    (oStart, oEnd) = (start, position);
                    break;
                case O2:
                    (o2Start, o2End) = (start, position);
                    break;
                case B:
                    (bStart, bEnd) = (start, position);
                    break;
            }
        }

        // A view's definition, a user or a role names its database inside the document, a catalog document its shards: the
        // general path maps them.
        if (opEnd == 0 || nsEnd == 0 || oEnd == 0 || entry[nsStart..nsEnd].EndsWith(".system.views"u8) || UsersAndRolesRules.IsNamespace(entry[nsStart..nsEnd])
            || rules.RewritesShards(entry[nsStart..nsEnd]))
        {
            return false;
        }

        var mapped = MappedNamespace(entry[nsStart..nsEnd]);
        if (mapped is null)
        {
            return true;
        }

        var partition = 0;
        if (round.Partitions > 1)
        {
            if (_lastGeneration != round.Generation || _lastById is null)
            {
                (_lastById, _lastGeneration) = (round.ById(_lastMappedName), round.Generation);
            }

            ulong? idHash = null;
            if (_lastById is not { } byId)
            {
                return false;
            }

            if (byId)
            {
                // An update names its document in o2, an insert or a delete in o ("o\0" and "o2\0" before the values).
                ReadOnlySpan<byte> document = entry[opStart + 1 + 3 + 4] == (byte)'u' ? (o2End == 0 ? [] : entry[(o2Start + 4)..o2End]) : entry[(oStart + 3)..oEnd];
                if (!DocumentIdHash.TryHash(document, out var hash))
                {
                    return false;
                }

                idHash = hash;
            }

            partition = round.PartitionOf(_lastNsHash, idHash);
        }

        var opLength = opEnd - opStart;
        var oLength = oEnd - oStart;
        var o2Length = o2End - o2Start;
        var bLength = bEnd - bStart;
        var size = 4 + opLength + 4 + 4 + mapped.Length + 1 + oLength + o2Length + bLength + 1;
        var bytes = round.Append(partition, size);
        BinaryPrimitives.WriteInt32LittleEndian(bytes, size);
        var at = 4;
        entry.Slice(opStart, opLength).CopyTo(bytes[at..]);
        at += opLength;
        "\u0002ns\0"u8.CopyTo(bytes[at..]);
        at += 4;
        BinaryPrimitives.WriteInt32LittleEndian(bytes[at..], mapped.Length + 1);
        at += 4;
        mapped.CopyTo(bytes[at..]);
        at += mapped.Length;
        bytes[at++] = 0;
        // o, o2 and b usually stand together, in that order, in the entry: then one copy instead of three.
        var tail = oEnd;
        var together = true;
        if (o2Length > 0)
        {
            together &= o2Start == tail;
            tail = o2End;
        }

        if (bLength > 0)
        {
            together &= bStart == tail;
            tail = bEnd;
        }

        if (together)
        {
            entry[oStart..tail].CopyTo(bytes[at..]);
        }
        else
        {
            entry.Slice(oStart, oLength).CopyTo(bytes[at..]);
            at += oLength;
            entry.Slice(o2Start, o2Length).CopyTo(bytes[at..]);
            at += o2Length;
            entry.Slice(bStart, bLength).CopyTo(bytes[at..]);
        }

        bytes[^1] = 0;
        return true;
    }

    /// <summary>The target namespace's UTF-8 bytes, or null if the namespace is skipped.</summary>
    private byte[]? MappedNamespace(ReadOnlySpan<byte> ns)
    {
        if (!ns.SequenceEqual(_lastNs) || _lastMapped is null)
        {
            var text = Encoding.UTF8.GetString(ns);
            var op = new BsonDocument { { "op", "i" }, { "ns", text } };
            _lastNs = ns.ToArray();
            _lastMappedName = rules.Skip(op) ? string.Empty : rules.MapNamespace(text);
            _lastMapped = _lastMappedName.Length == 0 ? null : Encoding.UTF8.GetBytes(_lastMappedName);
            _lastNsHash = DocumentIdHash.Namespace(_lastMappedName);
            _lastGeneration = -1;
            if (_lastMapped is null)
            {
                // Skipped namespaces are counted per entry, so do not cache them.
                _lastNs = [];
            }
        }

        return _lastMapped;
    }
}
