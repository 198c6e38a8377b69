namespace Archiver.Storage.Backends;

/// <summary>
/// The body of a stored object that survives a connection dropped mid-read, for the S3 and GCS stores: it reopens the
/// object at the byte it had reached (<c>reopen</c>: a ranged GET pinned to the version it opened, the S3 ETag or the GCS
/// generation, so a replaced object fails the read rather than being stitched together) and carries on, up to the retry
/// budget; a reset costs no byte twice. The bytes read are checked against the whole object's CRC-32C when the store
/// knows it (what the writer kept in S3's metadata, what GCS sends with the media) as the last one arrives.
/// </summary>
internal sealed class ResumingReadStream(
    string key, ObjectBody body, long length, uint? expectedCrc, int maxResumes, Func<long, CancellationToken, Task<ObjectBody>> reopen)
    : ForwardOnlyReadStream
{
    private ObjectBody _body = body;
    private long _position;
    private uint _crc;
    private int _resumes;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0 || _position == length) return 0;
        while (true)
        {
            try
            {
                var n = await _body.Stream.ReadAsync(buffer, cancellationToken);
                if (n == 0)
                {
                    throw new IOException($"The body ended after {_position} of {length} bytes.");
                }

                n = (int)Math.Min(n, length - _position);
                _crc = Crc32C.Append(_crc, buffer.Span[..n]);
                _position += n;
                if (_position == length && expectedCrc is { } expected && expected != _crc)
                {
                    throw new CorruptObjectException(key, $"CRC-32C {_crc:x8} of the bytes read is not the {expected:x8} the object was stored with");
                }

                return n;
            }
            catch (Exception e) when (_resumes < maxResumes && TransientErrors.IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                _resumes++;
                _body.Owner.Dispose();
                _body = await reopen(_position, cancellationToken);
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _body.Owner.Dispose();
        base.Dispose(disposing);
    }
}
