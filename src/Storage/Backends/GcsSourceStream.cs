namespace Archiver.Storage.Backends;

/// <summary>
/// The content of a GCS upload as the client reads it, remembering the first failure of the caller's stream: the
/// client reports every failure the same way, and a failing source must end the upload rather than be retried. It also
/// keeps the CRC-32C of every byte read: the client reads each byte once, and resends a chunk from its own buffer.
/// </summary>
internal sealed class GcsSourceStream(Stream inner) : ForwardOnlyReadStream
{
    private long _position;

    public Exception? Failure { get; private set; }

    public uint Crc32C { get; private set; }

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        try
        {
            var n = inner.Read(buffer, offset, count);
            Crc32C = Archiver.Storage.Crc32C.Append(Crc32C, buffer.AsSpan(offset, n));
            _position += n;
            return n;
        }
        catch (Exception e)
        {
            Failure ??= e;
            throw;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            Crc32C = Archiver.Storage.Crc32C.Append(Crc32C, buffer.Span[..n]);
            _position += n;
            return n;
        }
        catch (Exception e)
        {
            Failure ??= e;
            throw;
        }
    }
}
