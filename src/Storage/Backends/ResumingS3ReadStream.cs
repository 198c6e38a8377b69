using Amazon.S3.Model;

namespace Archiver.Storage.Backends;

/// <summary>
/// The body of an S3 object that survives a connection dropped mid-read: it reopens the object at the byte it
/// had reached (a ranged GET pinned to the same ETag, so a replaced object is never stitched together) and
/// carries on, up to the retry budget. A large backup file read over a flaky link therefore still arrives whole.
/// The bytes read are checked against the object's CRC-32C when its writer kept one (<see cref="S3ObjectStore.ContentCrcKey"/>).
/// </summary>
internal sealed class ResumingS3ReadStream : ForwardOnlyReadStream
{
    private readonly Func<long, long, string, CancellationToken, Task<GetObjectResponse>> _reopen;
    private readonly string _etag;
    private readonly long _length;
    private readonly int _maxResumes;
    private readonly string _key;
    private readonly uint? _expectedCrc;
    private uint _crc;
    private GetObjectResponse _response;
    private long _position;
    private int _resumes;

    public ResumingS3ReadStream(string key, GetObjectResponse response, uint? expectedCrc, int maxResumes, Func<long, long, string, CancellationToken, Task<GetObjectResponse>> reopen)
    {
        _key = key;
        _expectedCrc = expectedCrc;
        _response = response;
        _etag = response.ETag;
        _length = response.ContentLength;
        _maxResumes = maxResumes;
        _reopen = reopen;
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
        while (true)
        {
            try
            {
                var n = await _response.ResponseStream.ReadAsync(buffer, cancellationToken);
                if (n == 0 && _position < _length)
                {
                    throw new IOException($"The body ended after {_position} of {_length} bytes.");
                }

                _position += n;
                _crc = Crc32C.Append(_crc, buffer.Span[..n]);
                if (n > 0 && _position == _length && _expectedCrc is { } expected && expected != _crc)
                {
                    throw new CorruptObjectException(_key, $"CRC-32C {_crc:x8} of the bytes read is not the {expected:x8} it was written with");
                }

                return n;
            }
            catch (Exception e) when (_resumes < _maxResumes && TransientErrors.IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                _resumes++;
                _response.Dispose();
                _response = await _reopen(_position, _length - 1, _etag, cancellationToken);
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _response.Dispose();
        }

        base.Dispose(disposing);
    }
}
