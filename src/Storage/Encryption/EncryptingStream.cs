using System.Security.Cryptography;

namespace Archiver.Storage.Encryption;

/// <summary>
/// Reads plaintext from a source and yields the encrypted object, one sealed segment at a time. It reads one
/// segment ahead so it knows which segment is the last one, which is sealed as such.
/// </summary>
internal sealed class EncryptingStream : ForwardOnlyReadStream
{
    private readonly Stream _source;
    private readonly string _key;
    private readonly AesGcm _aes;
    private readonly int _segmentSize;
    private readonly byte[] _header = new byte[EncryptedFormat.HeaderLength];
    private byte[] _current;
    private byte[] _next;
    private int _currentLength = -1;
    private uint _segment;
    private readonly byte[] _output;
    private int _outputOffset;
    private int _outputLength;
    private bool _done;

    public EncryptingStream(Stream source, string key, EncryptionSettings settings)
    {
        _source = source;
        _key = key;
        _aes = new AesGcm(settings.Key, EncryptedFormat.TagLength);
        _segmentSize = settings.SegmentSize;
        _current = new byte[_segmentSize];
        _next = new byte[_segmentSize];
        _output = new byte[Math.Max(EncryptedFormat.HeaderLength, _segmentSize + EncryptedFormat.TagLength)];
        EncryptedFormat.WriteHeader(_header, settings.Fingerprint, RandomNumberGenerator.GetBytes(8), _segmentSize);
        _header.CopyTo(_output, 0);
        _outputLength = EncryptedFormat.HeaderLength;
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
        while (_outputOffset == _outputLength)
        {
            if (_done)
            {
                return 0;
            }

            await SealNextSegmentAsync(cancellationToken);
        }

        var n = Math.Min(buffer.Length, _outputLength - _outputOffset);
        _output.AsMemory(_outputOffset, n).CopyTo(buffer);
        _outputOffset += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _aes.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task SealNextSegmentAsync(CancellationToken cancellationToken)
    {
        if (_currentLength < 0)
        {
            _currentLength = await _source.ReadAtLeastAsync(_current, _segmentSize, throwOnEndOfStream: false, cancellationToken);
        }

        var nextLength = _currentLength == _segmentSize
            ? await _source.ReadAtLeastAsync(_next, _segmentSize, throwOnEndOfStream: false, cancellationToken)
            : 0;
        var last = nextLength == 0;
        Span<byte> nonce = stackalloc byte[12];
        EncryptedFormat.Nonce(nonce, _header, _segment);
        _aes.Encrypt(
            nonce,
            _current.AsSpan(0, _currentLength),
            _output.AsSpan(0, _currentLength),
            _output.AsSpan(_currentLength, EncryptedFormat.TagLength),
            EncryptedFormat.AssociatedData(_key, _header, _segment, last));
        _outputOffset = 0;
        _outputLength = _currentLength + EncryptedFormat.TagLength;
        _segment++;
        _done = last;
        (_current, _next) = (_next, _current);
        _currentLength = nextLength;
    }
}
