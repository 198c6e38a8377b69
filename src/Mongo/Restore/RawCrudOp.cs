using System.Buffers.Binary;
using System.Text;
using MongoDB.Bson;

namespace Archiver.Mongo.Restore;

/// <summary>
/// The replay's fast path for plain inserts, updates and deletes (almost every entry): the op applyOps gets is
/// built by copying the <c>op</c>, <c>o</c>, <c>o2</c> and <c>b</c> elements byte for byte and writing the
/// (mapped) <c>ns</c>, without deserialising the entry. Anything else (commands, transactions) returns false and
/// takes the general path. Not thread-safe: it caches the last namespace, since consecutive entries share one.
/// </summary>
internal sealed class RawCrudOp(NamespaceRules rules)
{
    private byte[] _lastNs = [];
    private byte[]? _lastMapped;

    /// <summary>False if the entry is not a plain CRUD op; otherwise true, and the op is in <paramref name="batch"/> unless its namespace is skipped.</summary>
    public bool TryAppend(ReadOnlySpan<byte> entry, ApplyOpsBatch batch)
    {
        Range opElement = default, nsValue = default, o = default, o2 = default, upsert = default;
        var position = 4;
        var end = BinaryPrimitives.ReadInt32LittleEndian(entry) - 1;
        while (position < end)
        {
            var start = position;
            var type = entry[position++];
            var nameLength = entry[position..].IndexOf((byte)0);
            var name = entry.Slice(position, nameLength);
            position += nameLength + 1;
            var valueStart = position;
            // An element this fast path does not know sends the entry down the general path.
            if (!OplogFields.TryValueLength(type, entry[position..], out var length))
            {
                return false;
            }

            position += length;

            if (name.SequenceEqual("op"u8))
            {
                var value = entry[(valueStart + 4)..(position - 1)];
                if (type != 0x02 || value.Length != 1 || value[0] is not ((byte)'i' or (byte)'u' or (byte)'d'))
                {
                    return false;
                }

                opElement = start..position;
            }
            else if (name.SequenceEqual("ns"u8) && type == 0x02)
            {
                nsValue = (valueStart + 4)..(position - 1);
            }
            else if (name.SequenceEqual("o"u8))
            {
                o = start..position;
            }
            else if (name.SequenceEqual("o2"u8))
            {
                o2 = start..position;
            }
            else if (name.SequenceEqual("b"u8))
            {
                upsert = start..position;
            }
        }

        if (opElement.Equals(default(Range)) || nsValue.Equals(default(Range)) || o.Equals(default(Range)))
        {
            return false;
        }

        var mapped = MappedNamespace(entry[nsValue]);
        if (mapped is null)
        {
            return true;
        }

        var size = 4 + Length(opElement) + 4 + 4 + mapped.Length + 1 + Length(o) + Length(o2) + Length(upsert) + 1;
        var bytes = batch.Append(size);
        var writer = bytes[4..];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, size);
        Copy(entry[opElement], ref writer);
        Copy([0x02, (byte)'n', (byte)'s', 0], ref writer);
        BinaryPrimitives.WriteInt32LittleEndian(writer, mapped.Length + 1);
        writer = writer[4..];
        Copy(mapped, ref writer);
        Copy([0], ref writer);
        Copy(entry[o], ref writer);
        Copy(entry[o2], ref writer);
        Copy(entry[upsert], ref writer);
        writer[0] = 0;
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
            _lastMapped = rules.Skip(op) ? null : Encoding.UTF8.GetBytes(rules.MapNamespace(text));
            if (_lastMapped is null)
            {
                // Skipped namespaces are counted per entry, so do not cache them.
                _lastNs = [];
            }
        }

        return _lastMapped;
    }

    private static int Length(Range range) => range.End.Value - range.Start.Value;

    private static void Copy(ReadOnlySpan<byte> source, ref Span<byte> destination)
    {
        source.CopyTo(destination);
        destination = destination[source.Length..];
    }
}
