namespace Archiver.Storage.Backends;

/// <summary>
/// The body of a GCS object as it arrives. A body broken off mid-way (a reset, a timeout) is taken up at the byte it
/// reached by a ranged GET pinned to the generation it opened (<c>ifGenerationMatch</c>), up to the retry budget: a
/// replaced or deleted object fails the read rather than splicing two versions, and a reset costs no byte twice.
/// The whole object's CRC-32C, which GCS sends with the media, is checked when the last byte arrives.
/// </summary>
internal sealed class GcsReadStream : ForwardOnlyReadStream
{
    private readonly GcsObjectStore _store;
    private readonly string _key;
    private readonly long _generation;
    private readonly long _length;
    private readonly uint? _expectedCrc;
    private readonly int _maxResumes;
    private HttpResponseMessage _response;
    private Stream? _body;
    private long _position;
    private uint _crc;
    private int _resumes;

    public GcsReadStream(GcsObjectStore store, string key, HttpResponseMessage response, long generation, long length, uint? expectedCrc, int maxResumes)
    {
        _store = store;
        _key = key;
        _response = response;
        _generation = generation;
        _length = length;
        _expectedCrc = expectedCrc;
        _maxResumes = maxResumes;
    }

    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0 || _position == _length) return 0;
        while (true)
        {
            try
            {
                _body ??= await _response.Content.ReadAsStreamAsync(cancellationToken);
                var n = await _body.ReadAsync(buffer, cancellationToken);
                if (n == 0)
                {
                    throw new IOException($"The body ended after {_position} of {_length} bytes.");
                }

                n = (int)Math.Min(n, _length - _position);
                _crc = Crc32C.Append(_crc, buffer.Span[..n]);
                _position += n;
                if (_position == _length && _expectedCrc is { } expected && expected != _crc)
                {
                    throw new CorruptObjectException(_key, $"CRC-32C {_crc:x8} of the bytes read is not GCS's {expected:x8}");
                }

                return n;
            }
            catch (Exception e) when (_resumes < _maxResumes && TransientErrors.IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                _resumes++;
                _body = null;
                _response.Dispose();
                _response = await _store.OpenMediaAsync(_key, _generation, _position, cancellationToken);
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _response.Dispose();
        base.Dispose(disposing);
    }
}
