using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Archiver.Storage.Encryption;

/// <summary>
/// Reads an encrypted object and yields its plaintext, one verified segment at a time. Nothing unverified is
/// ever returned; a wrong key, a flipped bit, a truncation or a swapped object is a <see cref="CorruptObjectException"/>.
/// </summary>
internal sealed class DecryptingStream : ForwardOnlyReadStream
{
    private readonly Stream _inner;
    private readonly string _key;
    private readonly EncryptionSettings _settings;
    private readonly byte[] _header = new byte[EncryptedFormat.HeaderLength];
    private AesGcm? _aes;
    private byte[] _current = [];
    private byte[] _next = [];
    private int _currentLength = -1;
    private byte[] _plain = [];
    private int _plainOffset;
    private int _plainLength;
    private uint _segment;
    private bool _done;

    public DecryptingStream(Stream inner, string key, EncryptionSettings settings)
    {
        _inner = inner;
        _key = key;
        _settings = settings;
    }

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_plainOffset == _plainLength)
        {
            if (_done)
            {
                return 0;
            }

            await OpenNextSegmentAsync(cancellationToken);
        }

        var n = Math.Min(buffer.Length, _plainLength - _plainOffset);
        _plain.AsMemory(_plainOffset, n).CopyTo(buffer);
        _plainOffset += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _aes?.Dispose();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task ReadHeaderAsync(CancellationToken cancellationToken)
    {
        var read = await _inner.ReadAtLeastAsync(_header, _header.Length, throwOnEndOfStream: false, cancellationToken);
        if (read < _header.Length || !_header.AsSpan(0, 4).SequenceEqual(EncryptedFormat.Magic) || _header[4] != EncryptedFormat.Version)
        {
            throw new CorruptObjectException(_key, "it is not an encrypted object of a known version (is encryption configured for data written in plain?)");
        }

        if (!_header.AsSpan(8, 8).SequenceEqual(_settings.Fingerprint))
        {
            throw new CorruptObjectException(_key, "it was encrypted with a different key than the one configured");
        }

        var segmentSize = BinaryPrimitives.ReadInt32LittleEndian(_header.AsSpan(24));
        if (segmentSize is < 1024 or > 64 * 1024 * 1024)
        {
            throw new CorruptObjectException(_key, $"its header names an impossible segment size {segmentSize}");
        }

        _aes = new AesGcm(_settings.Key, EncryptedFormat.TagLength);
        _current = new byte[segmentSize + EncryptedFormat.TagLength];
        _next = new byte[segmentSize + EncryptedFormat.TagLength];
        _plain = new byte[segmentSize];
        _currentLength = await _inner.ReadAtLeastAsync(_current, _current.Length, throwOnEndOfStream: false, cancellationToken);
    }

    private async Task OpenNextSegmentAsync(CancellationToken cancellationToken)
    {
        if (_aes is null)
        {
            await ReadHeaderAsync(cancellationToken);
        }

        var nextLength = _currentLength == _current.Length
            ? await _inner.ReadAtLeastAsync(_next, _next.Length, throwOnEndOfStream: false, cancellationToken)
            : 0;
        var last = nextLength == 0;
        var cipherLength = _currentLength - EncryptedFormat.TagLength;
        if (cipherLength < 0)
        {
            throw new CorruptObjectException(_key, "it is truncated");
        }

        Span<byte> nonce = stackalloc byte[12];
        EncryptedFormat.Nonce(nonce, _header, _segment);
        try
        {
            _aes!.Decrypt(
                nonce,
                _current.AsSpan(0, cipherLength),
                _current.AsSpan(cipherLength, EncryptedFormat.TagLength),
                _plain.AsSpan(0, cipherLength),
                EncryptedFormat.AssociatedData(_key, _header, _segment, last));
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new CorruptObjectException(_key, $"segment {_segment} failed authentication: the data was altered, truncated or belongs to another object", e);
        }

        _plainOffset = 0;
        _plainLength = cipherLength;
        _segment++;
        _done = last;
        (_current, _next) = (_next, _current);
        _currentLength = nextLength;
    }
}
