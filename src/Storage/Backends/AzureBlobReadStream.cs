using System.Net;
using Azure;

namespace Archiver.Storage.Backends;

/// <summary>
/// The Azure client's read stream of a blob (ranged GETs pinned to the ETag it opened, each response resumed on its
/// own when it breaks off), with its failures told as this store's. The client throws its own exceptions from a read:
/// 412 when the blob was replaced, an AggregateException when a window broke off more often than it resumes one.
/// Callers recognise storage failures as <see cref="StorageException"/> (or IOException), so without this a restore or
/// an archiver would take a flaky network for a bug instead of retrying or reporting the storage.
/// </summary>
internal sealed class AzureBlobReadStream(Stream inner, string key, AzureBlobStore store) : ForwardOnlyReadStream
{
    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        try
        {
            return inner.Read(buffer, offset, count);
        }
        catch (Exception e) when (AzureBlobStore.IsServiceFailure(e))
        {
            throw Failure(e);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception e) when (AzureBlobStore.IsServiceFailure(e))
        {
            throw Failure(e);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    private StorageException Failure(Exception e) =>
        e is RequestFailedException { Status: (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound }
            ? new StorageException($"Object '{key}' was replaced or deleted while it was being read.", e)
            : store.Failure("reading", key, e);
}
