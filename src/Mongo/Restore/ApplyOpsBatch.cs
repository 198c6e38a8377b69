using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using MongoDB.Bson;

namespace Archiver.Mongo.Restore;

/// <summary>
/// The ops of one <c>applyOps</c> command, kept as BSON bytes back to back so a batch costs one buffer, not an
/// object per op; <see cref="Command"/> frames them as <c>{applyOps: [...]}</c> when it is sent.
/// </summary>
internal sealed class ApplyOpsBatch
{
    private readonly List<(int Start, int Length)> _ops = [];
    private byte[] _bytes = new byte[1 << 16];
    private int _length;

    public int Count => _ops.Count;

    public int Bytes => _length;

    public void Add(ReadOnlySpan<byte> op)
    {
        Reserve(op.Length);
        op.CopyTo(_bytes.AsSpan(_length));
        _ops.Add((_length, op.Length));
        _length += op.Length;
    }

    /// <summary>Reserves room for one op of <paramref name="size"/> bytes and returns it to be written in place.</summary>
    public Span<byte> Append(int size)
    {
        Reserve(size);
        var span = _bytes.AsSpan(_length, size);
        _ops.Add((_length, size));
        _length += size;
        return span;
    }

    public void Clear()
    {
        _ops.Clear();
        _length = 0;
    }

    /// <summary><c>{applyOps: [ops]}</c>, or with <paramref name="only"/> just that one op.</summary>
    public RawBsonDocument Command(int? only = null)
    {
        var range = only is { } index ? _ops.GetRange(index, 1) : _ops;
        var arrayLength = 4 + 1;
        for (var i = 0; i < range.Count; i++)
        {
            arrayLength += 1 + Digits(i) + 1 + range[i].Length;
        }

        var size = 4 + 1 + "applyOps".Length + 1 + arrayLength + 1;
        var bytes = new byte[size];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, size);
        var position = 4;
        bytes[position++] = 0x04;
        position += Encoding.ASCII.GetBytes("applyOps", bytes.AsSpan(position));
        bytes[position++] = 0;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(position), arrayLength);
        position += 4;
        for (var i = 0; i < range.Count; i++)
        {
            bytes[position++] = 0x03;
            position += Encoding.ASCII.GetBytes(i.ToString(CultureInfo.InvariantCulture), bytes.AsSpan(position));
            bytes[position++] = 0;
            _bytes.AsSpan(range[i].Start, range[i].Length).CopyTo(bytes.AsSpan(position));
            position += range[i].Length;
        }

        bytes[position++] = 0;
        bytes[position] = 0;
        return new RawBsonDocument(bytes);
    }

    private static int Digits(int index) => index.ToString(CultureInfo.InvariantCulture).Length;

    private void Reserve(int size)
    {
        if (_length + size > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + size));
        }
    }
}
