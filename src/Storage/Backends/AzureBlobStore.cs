using System.Net;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Archiver.Storage.Backends;

/// <summary>
/// An Azure Blob Storage container, over Microsoft's client (<c>Azure.Storage.Blobs</c>). An upload is atomic: a
/// small object is one Put Blob, a large one staged blocks and one Put Block List, so a reader sees the old or the new
/// blob, never a part. A conditional create sends <c>If-None-Match: *</c>, which the service refuses (409
/// BlobAlreadyExists) when the blob exists; a refused one whose blob carries its own write token (its retry met the
/// blob it had stored, the first answer lost) is reported as its own. A read is a stream of ranged GETs pinned to the blob's ETag, each retried
/// on its own, so a connection reset mid-download resumes where it stopped rather than starting over, and a blob
/// replaced meanwhile fails the read instead of splicing two versions. Throttling (503, 500) and timeouts are retried
/// by the client's exponential policy (<see cref="RetrySettings"/>); a failure left when it gives up, or a read's, reaches
/// callers as a <see cref="StorageException"/> naming the blob.
/// </summary>
public sealed class AzureBlobStore : IObjectStore
{
    /// <summary>The metadata entry naming the conditional write that stored a blob (<see cref="PutIfAbsentAsync"/>).</summary>
    private const string WriteTokenName = "archiverwrite";

    private readonly BlobContainerClient _container;
    private readonly AzureBlobSettings _settings;
    private readonly string _rootPrefix;

    public AzureBlobStore(AzureBlobSettings settings, HttpPipelineTransport? transport = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrEmpty(settings.Container);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxConnections, 1);
        _settings = settings;
        var options = new BlobClientOptions
        {
            Retry =
            {
                Mode = RetryMode.Exponential,
                MaxRetries = settings.Retry.MaxRetries,
                Delay = settings.Retry.BaseDelay,
                MaxDelay = settings.Retry.MaxDelay,
            },
        };
        if (transport is not null)
        {
            options.Transport = transport;
        }

        var service = new BlobServiceClient(settings.ServiceUriOrDefault, new StorageSharedKeyCredential(settings.Account, settings.AccountKey), options);
        _container = service.GetBlobContainerClient(settings.Container);
        _rootPrefix = settings.Prefix.Trim('/') is { Length: > 0 } p ? p + "/" : string.Empty;
    }

    /// <summary>Creates the container if it does not exist (tools and tests; a node expects it made by whoever made the storage).</summary>
    public async Task CreateContainerIfMissingAsync(CancellationToken cancellationToken = default) =>
        await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default) =>
        await UploadAsync(key, content, conditions: null, metadata: null, cancellationToken);

    public async Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken cancellationToken = default)
    {
        // The client retries a write whose answer was lost (a reset after the service stored the blob); the retry then
        // meets the blob it wrote itself and is refused as if another writer had been first, which would fail e.g. a
        // backup's one manifest. So each conditional write carries a token of its own in the blob's metadata, and a
        // refusal is looked at once: the token found means this write is the one that landed.
        var token = Guid.NewGuid().ToString("N");
        try
        {
            await UploadAsync(key, content, new BlobRequestConditions { IfNoneMatch = ETag.All }, new Dictionary<string, string> { [WriteTokenName] = token }, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed)
        {
            return await WroteItAsync(key, token, cancellationToken);
        }
    }

    public async Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKey.Validate(key);
        try
        {
            // Pinned to the ETag it opened: a blob replaced mid-read fails the read (allowModifications: false).
            var stream = await _container.GetBlobClient(_rootPrefix + key).OpenReadAsync(
                new BlobOpenReadOptions(allowModifications: false) { BufferSize = 4 * 1024 * 1024 }, cancellationToken);
            return new AzureBlobReadStream(stream, key, this);
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            throw new ObjectNotFoundException(key, e);
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            throw Failure("reading", key, e);
        }
    }

    public async Task<ObjectListing> ListAsync(string prefix, string? continuationToken = null, int pageSize = 1000, CancellationToken cancellationToken = default)
    {
        ObjectKey.ValidatePrefix(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        try
        {
            await foreach (var page in _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, _rootPrefix + prefix, cancellationToken)
                .AsPages(continuationToken, Math.Min(pageSize, 5000)))
            {
                var objects = page.Values
                    .Select(b => new StoredObject(b.Name[_rootPrefix.Length..], b.Properties.ContentLength ?? 0, b.Properties.LastModified ?? DateTimeOffset.MinValue))
                    .ToList();
                return new ObjectListing(objects, string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
            }

            return new ObjectListing([], null);
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            throw Failure("listing", prefix, e);
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKey.Validate(key);
        try
        {
            await _container.GetBlobClient(_rootPrefix + key).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            throw Failure("deleting", key, e);
        }
    }

    /// <summary>Whether the blob under <paramref name="key"/> is the one a conditional write carrying <paramref name="token"/> stored.</summary>
    private async Task<bool> WroteItAsync(string key, string token, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await _container.GetBlobClient(_rootPrefix + key).GetPropertiesAsync(cancellationToken: cancellationToken);
            return properties.Value.Metadata.TryGetValue(WriteTokenName, out var found) && found == token;
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            // It existed when the write was refused and has been deleted since: it was not this write's either way.
            return false;
        }
        catch (Exception e) when (IsServiceFailure(e))
        {
            throw Failure("writing", key, e);
        }
    }

    private async Task UploadAsync(string key, Stream content, BlobRequestConditions? conditions, IDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        ObjectKey.Validate(key);
        ArgumentNullException.ThrowIfNull(content);
        var options = new BlobUploadOptions
        {
            Conditions = conditions,
            Metadata = metadata,
            TransferOptions = new StorageTransferOptions
            {
                MaximumConcurrency = _settings.MaxConnections,
                InitialTransferSize = 8 * 1024 * 1024,
                MaximumTransferSize = 8 * 1024 * 1024,
            },
        };
        try
        {
            await _container.GetBlobClient(_rootPrefix + key).UploadAsync(content, options, cancellationToken);
        }
        catch (Exception e) when (IsServiceFailure(e) && (conditions is null || e is not RequestFailedException { Status: (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed }))
        {
            throw Failure("writing", key, e);
        }
    }

    /// <summary>
    /// A failure of the service or the way to it, as the client throws them: a <see cref="RequestFailedException"/> for
    /// an answer it will not retry (or the last one its retries got), and an <see cref="AggregateException"/> of every
    /// try's failure when its retries ran out on connections that broke. Both are told to callers as a
    /// <see cref="StorageException"/>, which they recognise as the storage failing.
    /// </summary>
    internal static bool IsServiceFailure(Exception e) => e is RequestFailedException or AggregateException;

    internal StorageException Failure(string doing, string key, Exception e) =>
        new($"Azure Blob container {_settings.Container} at {_settings.ServiceUriOrDefault}: {doing} '{key}' failed: {Describe(e)}", e);

    private static string Describe(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: > 0 } all => $"{Describe(all.InnerExceptions[^1])} (gave up after {all.InnerExceptions.Count} tries)",
        RequestFailedException { Status: > 0 } answer => $"{answer.Status} {answer.ErrorCode}",
        { InnerException: { } inner } => Describe(inner),
        _ => e.Message,
    };
}
