using System.Buffers.Binary;
using System.Net;
using System.Runtime.ExceptionServices;
using Google;
using Google.Apis.Upload;
using Google.Cloud.Storage.V1;
using GcsObject = Google.Apis.Storage.v1.Data.Object;

namespace Archiver.Storage.Backends;

public sealed partial class GcsObjectStore
{
    /// <summary>
    /// One resumable upload session (https://cloud.google.com/storage/docs/resumable-uploads) per write, chunk by
    /// chunk, so only one chunk is ever in memory. A try that fails with a transient error is resumed in the same
    /// session (the client asks GCS how many bytes it has and sends the rest from its buffered chunk) rather than
    /// started again: an interrupted final chunk that did reach GCS completes the object instead of meeting its own
    /// <c>ifGenerationMatch=0</c> and reading as "someone else was first".
    /// <para>
    /// Integrity is ours, with the CPU's CRC-32C instruction, not the client's (its hashing in software took half the
    /// time of a 4 MiB upload; <c>docs/performance.md</c>). Content that can be read twice (a chunk in memory) is
    /// hashed first and its CRC-32C sent in the object's metadata, which GCS checks before it creates the object
    /// (https://cloud.google.com/storage/docs/hashes-etags#json-api): a damaged upload never exists. A stream is hashed
    /// as the client reads it and checked against the CRC-32C GCS answers for the object it made; a mismatch removes
    /// that generation and fails the write, so nobody is told a damaged object was stored.
    /// </para>
    /// </summary>
    private async Task<bool> UploadAsync(string key, Stream content, bool ifAbsent, CancellationToken cancellationToken)
    {
        ObjectKey.Validate(key);
        ArgumentNullException.ThrowIfNull(content);
        // From its start only: the client sizes seekable content by its whole length.
        var known = content.CanSeek && content.Position == 0;
        var declared = known ? await Crc32COfRestAsync(content, cancellationToken) : (uint?)null;
        using var source = new GcsSourceStream(content);
        var destination = new GcsObject
        {
            Bucket = _settings.Bucket,
            Name = _rootPrefix + key,
            ContentType = ContentType,
            Crc32c = declared is { } crc ? Crc32CBase64(crc) : null,
        };
        var options = new UploadObjectOptions
        {
            // Content of known length takes a chunk buffer no larger than itself (the client allocates one per upload).
            ChunkSize = known ? (int)Math.Min(_settings.ChunkSizeBytes, RoundUp(content.Length, GcsSettings.ChunkGranularity)) : _settings.ChunkSizeBytes,
            IfGenerationMatch = ifAbsent ? 0 : null,
            UploadValidationMode = UploadValidationMode.None,
        };
        var upload = _client.CreateObjectUploader(destination, declared is null ? source : content, options);
        var started = false;
        try
        {
            await _retry.ExecuteAsync(
                async ct =>
                {
                    var progress = started ? await upload.ResumeAsync(ct) : await upload.UploadAsync(ct);
                    started = true;
                    if (source.Failure is { } failure)
                    {
                        // The caller's stream failed, not GCS: nothing to retry, and nothing was published.
                        throw new SourceFailedException(failure);
                    }

                    if (progress.Status != UploadStatus.Completed)
                    {
                        ExceptionDispatchInfo.Throw(progress.Exception ?? new IOException($"upload of '{key}' ended {progress.Status}"));
                    }
                },
                cancellationToken);
        }
        catch (SourceFailedException e)
        {
            ExceptionDispatchInfo.Throw(e.Source);
            throw;
        }
        catch (GoogleApiException e) when (ifAbsent && e.HttpStatusCode == HttpStatusCode.PreconditionFailed)
        {
            return false;
        }
        catch (GoogleApiException e)
        {
            throw Failure("writing", key, e);
        }

        if (declared is null)
        {
            await CheckStoredAsync(key, upload.ResponseBody, source.Crc32C, cancellationToken);
        }

        return true;
    }

    /// <summary>
    /// The object a streamed upload made, against the CRC-32C of the bytes the client read from the stream: a generation
    /// whose bytes differ (damaged on the way) is removed, pinned to that generation so a later writer's object stays.
    /// </summary>
    private async Task CheckStoredAsync(string key, GcsObject? made, uint sent, CancellationToken cancellationToken)
    {
        try
        {
            // The answer of a session resumed after its last answer was lost may carry no object: ask for it.
            made ??= await _retry.ExecuteAsync(
                async ct => await _client.GetObjectAsync(_settings.Bucket, _rootPrefix + key, new GetObjectOptions { RetryOptions = RetryOptions.Never }, ct),
                cancellationToken);
            if (made.Crc32c is not { Length: > 0 } stored || stored == Crc32CBase64(sent))
            {
                return;
            }

            await _retry.ExecuteAsync(
                async ct => await _client.DeleteObjectAsync(made, new DeleteObjectOptions { IfGenerationMatch = made.Generation, RetryOptions = RetryOptions.Never }, ct),
                cancellationToken);
            throw new CorruptObjectException(key, $"GCS stored bytes whose CRC-32C is {stored}, not the {Crc32CBase64(sent)} of the bytes sent; that generation ({made.Generation}) was removed");
        }
        catch (GoogleApiException e)
        {
            throw Failure("checking what was written to", key, e);
        }
    }

    /// <summary>The CRC-32C of <paramref name="content"/> from its position to its end, the position kept.</summary>
    private static async Task<uint> Crc32COfRestAsync(Stream content, CancellationToken cancellationToken)
    {
        var start = content.Position;
        if (content is MemoryStream memory && memory.TryGetBuffer(out var buffer))
        {
            return Crc32C.Compute(buffer.AsSpan((int)start));
        }

        var crc = 0u;
        var block = new byte[81920];
        int read;
        while ((read = await content.ReadAsync(block, cancellationToken)) > 0)
        {
            crc = Crc32C.Append(crc, block.AsSpan(0, read));
        }

        content.Position = start;
        return crc;
    }

    private static long RoundUp(long value, int granularity) => Math.Max(granularity, (value + granularity - 1) / granularity * granularity);

    /// <summary>Big-endian and base64, as GCS writes <c>crc32c</c> (https://cloud.google.com/storage/docs/json_api/v1/objects).</summary>
    private static string Crc32CBase64(uint crc)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, crc);
        return Convert.ToBase64String(bytes);
    }

    /// <summary>Carries the caller's stream's own failure past the retry layer, which would otherwise take an IOException for the network's.</summary>
    private sealed class SourceFailedException(Exception source) : Exception("the content stream failed")
    {
        public new Exception Source { get; } = source;
    }
}
