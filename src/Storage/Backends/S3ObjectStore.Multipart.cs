using System.Buffers;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace Archiver.Storage.Backends;

public sealed partial class S3ObjectStore
{
    // Large objects (full-backup data files) are streamed up part by part, so only one part is ever in memory,
    // and the object appears only when the upload is completed.
    private async Task<bool> PutMultipartAsync(
        string key, byte[] firstPart, Stream content, bool ifAbsent, string? token, CancellationToken cancellationToken)
    {
        var partSize = _settings.PartSizeBytes;
        var initiated = await _retry.ExecuteAsync(
            async ct => await _client.InitiateMultipartUploadAsync(
                WithToken(new InitiateMultipartUploadRequest { BucketName = _settings.Bucket, Key = _rootPrefix + key }, token), ct),
            cancellationToken);
        var uploadId = initiated.UploadId;
        var completed = false;
        var buffer = ArrayPool<byte>.Shared.Rent(partSize);
        try
        {
            var etags = new List<PartETag>();
            var current = firstPart;
            var length = partSize;
            for (var number = 1; length > 0; number++)
            {
                etags.Add(await UploadPartAsync(key, uploadId, number, current.AsMemory(0, length), cancellationToken));
                current = buffer;
                length = await content.ReadAtLeastAsync(buffer.AsMemory(0, partSize), partSize, throwOnEndOfStream: false, cancellationToken);
            }

            var complete = new CompleteMultipartUploadRequest
            {
                BucketName = _settings.Bucket,
                Key = _rootPrefix + key,
                UploadId = uploadId,
                PartETags = etags,
            };
            if (ifAbsent)
            {
                complete.IfNoneMatch = "*";
            }

            try
            {
                await _retry.ExecuteAsync(async ct => await _client.CompleteMultipartUploadAsync(complete, ct), cancellationToken);
            }
            catch (AmazonS3Exception e) when (ifAbsent && e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
            {
                // A completion whose answer was lost and was sent again finds the object it made: ours, not refused.
                completed = await WrittenByAsync(key, token, cancellationToken);
                return completed;
            }

            completed = true;
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (!completed)
            {
                await AbortQuietlyAsync(key, uploadId);
            }
        }
    }

    private async Task<PartETag> UploadPartAsync(
        string key, string uploadId, int number, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var response = await _retry.ExecuteAsync(
            async ct =>
            {
                using var stream = AsStream(body);
                return await _client.UploadPartAsync(
                    new UploadPartRequest
                    {
                        BucketName = _settings.Bucket,
                        Key = _rootPrefix + key,
                        UploadId = uploadId,
                        PartNumber = number,
                        PartSize = body.Length,
                        InputStream = stream,
                        UseChunkEncoding = false,

                        // As for a single PUT: the signed payload's SHA-256 is checked by S3; the SDK's MD5 is not needed.
                        DisableDefaultChecksumValidation = true,
                    },
                    ct);
            },
            cancellationToken);
        return new PartETag(number, response.ETag);
    }

    private async Task AbortQuietlyAsync(string key, string uploadId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _client.AbortMultipartUploadAsync(
                new AbortMultipartUploadRequest { BucketName = _settings.Bucket, Key = _rootPrefix + key, UploadId = uploadId },
                timeout.Token);
        }
        catch (Exception e) when (e is Amazon.Runtime.AmazonServiceException or HttpRequestException or IOException or OperationCanceledException)
        {
            // An upload left open is invisible to readers; a bucket lifecycle rule cleans it up eventually.
        }
    }
}
