using System.Buffers;
using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Polly;

namespace Archiver.Storage.Backends;

/// <summary>
/// An S3-compatible bucket. A PutObject or a completed multipart upload is atomic on S3, so publishing needs no
/// rename: an upload that fails part-way is aborted and leaves nothing visible. Every request goes through one
/// retry pipeline; bodies are buffered per part so a retried request sends the same bytes again.
/// </summary>
public sealed partial class S3ObjectStore : IObjectStore, IDisposable
{
    private readonly IAmazonS3 _client;
    private readonly S3Settings _settings;
    private readonly ResiliencePipeline _retry;
    private readonly string _rootPrefix;

    public S3ObjectStore(S3Settings settings, HttpClientFactory? httpClientFactory = null)
        : this(CreateClient(settings, httpClientFactory), settings)
    {
    }

    public S3ObjectStore(IAmazonS3 client, S3Settings settings)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.PartSizeBytes, 5 * 1024 * 1024);
        _client = client;
        _settings = settings;
        _retry = TransientErrors.Pipeline(settings.Retry);
        _rootPrefix = settings.Prefix.Trim('/') is { Length: > 0 } p ? p + "/" : string.Empty;
    }

    public static AmazonS3Config CreateConfig(S3Settings settings, HttpClientFactory? httpClientFactory = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var config = new AmazonS3Config
        {
            ForcePathStyle = settings.ForcePathStyle,
            AuthenticationRegion = settings.Region,
            Timeout = settings.RequestTimeout,

            // One retry layer (ours); and checksums only where required, which every S3 clone understands.
            MaxErrorRetry = 0,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (settings.ServiceUrl is not null)
        {
            config.ServiceURL = settings.ServiceUrl.ToString();
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(settings.Region);
        }

        if (httpClientFactory is not null)
        {
            config.HttpClientFactory = httpClientFactory;
        }

        return config;
    }

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default) =>
        await WriteAsync(key, content, ifAbsent: false, cancellationToken);

    public Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken cancellationToken = default) =>
        WriteAsync(key, content, ifAbsent: true, cancellationToken);

    /// <summary>
    /// Opens the object with a GET of <c>bytes=0-</c>: the whole object, as a range, because the SDK checks an unranged
    /// single-part GET against its ETag with MD5 in software, which took as long as the transfer itself
    /// (<c>docs/performance.md</c>). The check is ours instead: the CRC-32C our writes keep in the object's metadata
    /// (<see cref="ContentCrcKey"/>), with the CPU's instruction, at the end of the body (<see cref="ResumingReadStream"/>).
    /// </summary>
    public async Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKey.Validate(key);
        try
        {
            var response = await _retry.ExecuteAsync(
                async ct =>
                {
                    try
                    {
                        return await _client.GetObjectAsync(
                            new GetObjectRequest { BucketName = _settings.Bucket, Key = _rootPrefix + key, ByteRange = new ByteRange("bytes=0-") }, ct);
                    }
                    catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                    {
                        // An empty object has no byte 0: S3 refuses the range, and the object is read unranged.
                        return await _client.GetObjectAsync(new GetObjectRequest { BucketName = _settings.Bucket, Key = _rootPrefix + key }, ct);
                    }
                },
                cancellationToken);
            if (response.ContentRange is { } range && range.EndsWith("/0", StringComparison.Ordinal))
            {
                // Empty, said by the range's total (s3rver answers bytes=0- on an empty object so, with a body that never comes).
                response.Dispose();
                return new MemoryStream([], writable: false);
            }

            var length = response.ContentLength;
            var etag = response.ETag;
            return new ResumingReadStream(
                key, new ObjectBody(response.ResponseStream, response), length, ContentCrc(response.Metadata), _settings.Retry.MaxRetries,
                async (from, ct) =>
                {
                    var reopened = await ReopenAsync(key, from, length - 1, etag, ct);
                    return new ObjectBody(reopened.ResponseStream, reopened);
                });
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ObjectNotFoundException(key, e);
        }
    }

    public async Task<ObjectListing> ListAsync(
        string prefix,
        string? continuationToken = null,
        int pageSize = 1000,
        CancellationToken cancellationToken = default)
    {
        ObjectKey.ValidatePrefix(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var request = new ListObjectsV2Request
        {
            BucketName = _settings.Bucket,
            Prefix = _rootPrefix + prefix,
            MaxKeys = Math.Min(pageSize, 1000),
            ContinuationToken = continuationToken,
        };
        var response = await _retry.ExecuteAsync(
            async ct => await _client.ListObjectsV2Async(request, ct), cancellationToken);

        // An empty listing comes back with S3Objects == null in SDK 4.
        var objects = (response.S3Objects ?? [])
            .Select(o => new StoredObject(
                o.Key[_rootPrefix.Length..],
                o.Size ?? 0,
                o.LastModified is { } modified ? new DateTimeOffset(modified.ToUniversalTime()) : DateTimeOffset.MinValue))
            .ToList();
        var next = response.IsTruncated == true ? response.NextContinuationToken : null;
        return new ObjectListing(objects, next);
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKey.Validate(key);
        await _retry.ExecuteAsync(
            async ct => await _client.DeleteObjectAsync(
                new DeleteObjectRequest { BucketName = _settings.Bucket, Key = _rootPrefix + key }, ct),
            cancellationToken);
    }

    public void Dispose() => _client.Dispose();

    private static AmazonS3Client CreateClient(S3Settings settings, HttpClientFactory? httpClientFactory) =>
        new(new BasicAWSCredentials(settings.AccessKey, settings.SecretKey), CreateConfig(settings, httpClientFactory));

    private async Task<bool> WriteAsync(string key, Stream content, bool ifAbsent, CancellationToken cancellationToken)
    {
        ObjectKey.Validate(key);
        ArgumentNullException.ThrowIfNull(content);
        if (ifAbsent && await ExistsAsync(key, cancellationToken))
        {
            return false;
        }

        // A conditional write carries a token of its own in the object's metadata: when its answer is lost and the retry
        // meets the object (AWS S3 and MinIO answer If-None-Match with 412), the token tells our own object from
        // another writer's, and the write is reported as done rather than refused.
        var token = ifAbsent ? Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12)) : null;

        var partSize = _settings.PartSizeBytes;
        var first = ArrayPool<byte>.Shared.Rent(partSize);
        try
        {
            var length = await content.ReadAtLeastAsync(first.AsMemory(0, partSize), partSize, throwOnEndOfStream: false, cancellationToken);
            if (length < partSize)
            {
                return await PutSingleAsync(key, first.AsMemory(0, length), ifAbsent, token, cancellationToken);
            }

            return await PutMultipartAsync(key, first, content, ifAbsent, token, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(first);
        }
    }

    private async Task<GetObjectResponse> ReopenAsync(string key, long from, long to, string etag, CancellationToken cancellationToken)
    {
        try
        {
            return await _retry.ExecuteAsync(
                async ct => await _client.GetObjectAsync(
                    new GetObjectRequest
                    {
                        BucketName = _settings.Bucket,
                        Key = _rootPrefix + key,
                        ByteRange = new ByteRange(from, to),
                        EtagToMatch = etag,
                    },
                    ct),
                cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            throw new StorageException($"Object '{key}' was replaced while it was being read.", e);
        }
    }

    private async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await _retry.ExecuteAsync(
                async ct => await _client.GetObjectMetadataAsync(
                    new GetObjectMetadataRequest { BucketName = _settings.Bucket, Key = _rootPrefix + key }, ct),
                cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task<bool> PutSingleAsync(string key, ReadOnlyMemory<byte> body, bool ifAbsent, string? token, CancellationToken cancellationToken)
    {
        var crc = Crc32C.Compute(body.Span).ToString("x8", System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            await _retry.ExecuteAsync(
                async ct =>
                {
                    using var stream = AsStream(body);
                    var request = WithToken(
                        new PutObjectRequest
                        {
                            BucketName = _settings.Bucket,
                            Key = _rootPrefix + key,
                            InputStream = stream,
                            AutoCloseStream = false,
                            UseChunkEncoding = false,

                            // The SDK's MD5 of the body, in software, is not needed: the signature covers the payload's
                            // SHA-256, which S3 checks before it stores anything, and the CRC-32C below serves reads.
                            DisableDefaultChecksumValidation = true,
                        },
                        token);
                    request.Metadata.Add(ContentCrcKey, crc);
                    if (ifAbsent)
                    {
                        // Honoured by AWS S3 and MinIO; servers that ignore it fall back on the check made above.
                        request.IfNoneMatch = "*";
                    }

                    await _client.PutObjectAsync(request, ct);
                },
                cancellationToken);
            return true;
        }
        catch (AmazonS3Exception e) when (ifAbsent && e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
        {
            return await WrittenByAsync(key, token, cancellationToken);
        }
    }

    /// <summary>The metadata key of a conditional write's token (sent as <c>x-amz-meta-archiverwrite</c>).</summary>
    private const string WriteTokenKey = "archiverwrite";

    /// <summary>
    /// The metadata key of a single-part object's CRC-32C (<c>x-amz-meta-archivercrc32c</c>, 8 hex digits), checked by
    /// every read of the whole object. Objects written in parts have none, as S3's own ETag of them is no MD5 either.
    /// </summary>
    internal const string ContentCrcKey = "archivercrc32c";

    private static uint? ContentCrc(MetadataCollection metadata) =>
        metadata[ContentCrcKey] is { Length: 8 } hex && uint.TryParse(hex, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var crc) ? crc : null;

    private static PutObjectRequest WithToken(PutObjectRequest request, string? token)
    {
        if (token is not null) request.Metadata.Add(WriteTokenKey, token);
        return request;
    }

    private static InitiateMultipartUploadRequest WithToken(InitiateMultipartUploadRequest request, string? token)
    {
        if (token is not null) request.Metadata.Add(WriteTokenKey, token);
        return request;
    }

    /// <summary>Whether the object under <paramref name="key"/> is the one the write with <paramref name="token"/> stored.</summary>
    private async Task<bool> WrittenByAsync(string key, string? token, CancellationToken cancellationToken)
    {
        if (token is null) return false;
        var metadata = await _retry.ExecuteAsync(
            async ct => await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _settings.Bucket, Key = _rootPrefix + key }, ct),
            cancellationToken);
        return metadata.Metadata[WriteTokenKey] == token;
    }

    private static MemoryStream AsStream(ReadOnlyMemory<byte> body) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(body, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(body.ToArray(), writable: false);
}
