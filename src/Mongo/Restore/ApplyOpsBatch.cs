using System.Buffers.Binary;
using MongoDB.Bson;
using MongoDB.Bson.IO;

namespace Archiver.Mongo.Restore;

/// <summary>
/// One <c>applyOps</c> command, built in place in one reused buffer: each op is written straight into its
/// array element, so <see cref="Command()"/> only patches the lengths and sends the buffer as it is. A replay
/// goes through millions of ops: copying every batch into a fresh buffer (allocated per batch, on the large
/// object heap) was about a third of its apply time.
/// </summary>
internal sealed class ApplyOpsBatch
{
    // {applyOps: [ ...: the document length, the array's type byte, "applyOps\0", then the array's length.
    private const int HeaderLength = 4 + 1 + 9 + 4;
    private const int ArrayStart = HeaderLength - 4;
    private const int TrailerLength = 2;
    private static ReadOnlySpan<byte> Header => [0, 0, 0, 0, 0x04, (byte)'a', (byte)'p', (byte)'p', (byte)'l', (byte)'y', (byte)'O', (byte)'p', (byte)'s', 0];

    private byte[] _bytes = new byte[1 << 16];
    private int _length = HeaderLength;
    private int _count;

    public ApplyOpsBatch() => Header.CopyTo(_bytes);

    public int Count => _count;

    /// <summary>The bytes of the ops and their array framing so far.</summary>
    public int Bytes => _length - HeaderLength;

    public void Add(ReadOnlySpan<byte> op) => op.CopyTo(Append(op.Length));

    /// <summary>Reserves room for one op of <paramref name="size"/> bytes and returns it to be written in place.</summary>
    public Span<byte> Append(int size)
    {
        var index = _count++;
        var digits = Digits(index);
        Reserve(1 + digits + 1 + size + TrailerLength);
        _bytes[_length] = 0x03;
        for (int i = _length + digits, rest = index; i > _length; i--, rest /= 10)
        {
            _bytes[i] = (byte)('0' + (rest % 10));
        }

        _bytes[_length + digits + 1] = 0;
        var start = _length + 1 + digits + 1;
        _length = start + size;
        return _bytes.AsSpan(start, size);
    }

    public void Clear()
    {
        _count = 0;
        _length = HeaderLength;
    }

    /// <summary>
    /// <c>{applyOps: [ops]}</c> over the batch's own buffer, not a copy: it is valid until the batch is next
    /// changed, so the caller must be done with it (sent, or copied) before adding to or clearing the batch.
    /// </summary>
    public RawBsonDocument Command()
    {
        var size = _length + TrailerLength;
        _bytes[_length] = 0;
        _bytes[_length + 1] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(_bytes, size);
        BinaryPrimitives.WriteInt32LittleEndian(_bytes.AsSpan(ArrayStart), size - ArrayStart - 1);
        return new RawBsonDocument(new ByteArrayBuffer(_bytes, size, isReadOnly: true));
    }

    /// <summary><c>{applyOps: [op]}</c> with just the op at <paramref name="index"/>, in memory of its own.</summary>
    public RawBsonDocument Command(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
        // Found by walking the elements (only the tolerant retry of a failed batch asks for one op): keeping an
        // offset per op would cost every op of every batch.
        var start = HeaderLength;
        for (var i = 0; ; i++)
        {
            start += 1 + Digits(i) + 1;
            if (i == index)
            {
                break;
            }

            start += BinaryPrimitives.ReadInt32LittleEndian(_bytes.AsSpan(start));
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(_bytes.AsSpan(start));
        var size = HeaderLength + 3 + length + TrailerLength;
        var bytes = new byte[size];
        Header.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes, size);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(ArrayStart), size - ArrayStart - 1);
        bytes[HeaderLength] = 0x03;
        bytes[HeaderLength + 1] = (byte)'0';
        _bytes.AsSpan(start, length).CopyTo(bytes.AsSpan(HeaderLength + 3));
        return new RawBsonDocument(bytes);
    }

    private static int Digits(int index)
    {
        var digits = 1;
        for (; index >= 10; index /= 10)
        {
            digits++;
        }

        return digits;
    }

    private void Reserve(int size)
    {
        if (_length + size > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + size));
        }
    }
}
