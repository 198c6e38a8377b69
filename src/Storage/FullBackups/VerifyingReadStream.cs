using System.Security.Cryptography;
using ZstdSharp;

namespace Archiver.Storage.FullBackups;

/// <summary>
/// Reads a backup file and, at its end, checks size and SHA-256 against the manifest. Damage surfaces as a
/// <see cref="CorruptObjectException"/> naming the object, whether zstd or the checksum notices it first.
/// </summary>
internal sealed class VerifyingReadStream(Stream inner, string key, long expectedSize, string expectedSha256) : ForwardOnlyReadStream
{
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _read;
    private bool _verified;

    public override long Length => expectedSize;

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        int n;
        try
        {
            n = inner.Read(buffer);
        }
        catch (Exception e) when (e is ZstdException or InvalidDataException)
        {
            throw new CorruptObjectException(key, "its compressed data is damaged", e);
        }

        return Account(buffer[..n]);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        int n;
        try
        {
            n = await inner.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception e) when (e is ZstdException or InvalidDataException)
        {
            throw new CorruptObjectException(key, "its compressed data is damaged", e);
        }

        return Account(buffer.Span[..n]);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            _sha.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Account(ReadOnlySpan<byte> data)
    {
        _sha.AppendData(data);
        _read += data.Length;
        if (_read > expectedSize)
        {
            throw new CorruptObjectException(key, $"it holds more than the {expectedSize} bytes its manifest records");
        }

        if (data.Length == 0 && !_verified)
        {
            _verified = true;
            if (_read != expectedSize)
            {
                throw new CorruptObjectException(key, $"it holds {_read} bytes, its manifest records {expectedSize}");
            }

            if (!string.Equals(Convert.ToHexStringLower(_sha.GetCurrentHash()), expectedSha256, StringComparison.Ordinal))
            {
                throw new CorruptObjectException(key, "its SHA-256 checksum does not match its manifest");
            }
        }

        return data.Length;
    }
}
