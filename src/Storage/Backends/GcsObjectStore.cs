using System.Net;
using Google;
using Google.Apis.Auth.OAuth2;
using Google.Cloud.Storage.V1;
using Polly;

namespace Archiver.Storage.Backends;

/// <summary>
/// A Google Cloud Storage bucket, over Google's client (<c>Google.Cloud.Storage.V1</c>) and the JSON API. Every write
/// is a resumable upload in chunks of <see cref="GcsSettings.ChunkSizeBytes"/>: GCS publishes the object only when
/// the last byte arrives, so a reader sees the old or the new object, never a part, and an upload that fails
/// part-way leaves nothing visible. A conditional create sends <c>ifGenerationMatch=0</c>, which GCS checks when the
/// session starts and again when it completes, refusing with 412 if a live object exists. A read is one media GET,
/// taken up after a reset at the byte it reached by a ranged GET pinned to the generation it opened (a replaced
/// object fails the read instead of splicing two), and the whole object's CRC-32C is checked at its end. One retry
/// layer, ours (as for S3, <see cref="TransientErrors"/>): the client's own retries are switched off, and an upload
/// interrupted by a 429, a 5xx or a reset is resumed in its session at the byte GCS says it has.
/// </summary>
public sealed partial class GcsObjectStore : IObjectStore, IDisposable
{
    private const string ContentType = "application/octet-stream";
    private readonly StorageClient _client;
    private readonly GcsSettings _settings;
    private readonly ResiliencePipeline _retry;
    private readonly string _rootPrefix;

    public GcsObjectStore(GcsSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrEmpty(settings.Bucket);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxConnections, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.ChunkSizeBytes, GcsSettings.ChunkGranularity);
        if (settings.ChunkSizeBytes % GcsSettings.ChunkGranularity != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(settings), $"ChunkSizeBytes {settings.ChunkSizeBytes} is not a multiple of {GcsSettings.ChunkGranularity}");
        }

        _settings = settings;
        _client = new StorageClientBuilder
        {
            GoogleCredential = ServiceAccount(settings.ServiceAccountJson),
            BaseUri = settings.BaseUriOrDefault.ToString(),
            HttpClientFactory = new GcsHttpClientFactory(settings.MaxConnections),
        }.Build();

        // One retry layer: requests carry RetryOptions.Never, and one try per HTTP request keeps the upload's own
        // recovery (a status query on the next try) out of the way of ours, which resumes the session itself.
        _client.Service.HttpClient.MessageHandler.NumTries = 1;
        _retry = TransientErrors.Pipeline(settings.Retry);
        _rootPrefix = settings.Prefix.Trim('/') is { Length: > 0 } p ? p + "/" : string.Empty;
    }

    public async Task PutAsync(string key, Stream content, CancellationToken cancellationToken = default) =>
        await UploadAsync(key, content, ifAbsent: false, cancellationToken);

    public Task<bool> PutIfAbsentAsync(string key, Stream content, CancellationToken cancellationToken = default) =>
        UploadAsync(key, content, ifAbsent: true, cancellationToken);

    public async Task<ObjectListing> ListAsync(string prefix, string? continuationToken = null, int pageSize = 1000, CancellationToken cancellationToken = default)
    {
        ObjectKey.ValidatePrefix(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var size = Math.Min(pageSize, 1000);
        try
        {
            var page = await _retry.ExecuteAsync(
                async ct => await _client.ListObjectsAsync(
                        _settings.Bucket,
                        _rootPrefix + prefix,
                        new ListObjectsOptions { PageSize = size, PageToken = continuationToken, RetryOptions = RetryOptions.Never })
                    .ReadPageAsync(size, ct),
                cancellationToken);
            var objects = page
                .Select(o => new StoredObject(o.Name[_rootPrefix.Length..], (long)(o.Size ?? 0), o.UpdatedDateTimeOffset ?? DateTimeOffset.MinValue))
                .ToList();
            return new ObjectListing(objects, string.IsNullOrEmpty(page.NextPageToken) ? null : page.NextPageToken);
        }
        catch (GoogleApiException e)
        {
            throw Failure("listing", prefix, e);
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKey.Validate(key);
        try
        {
            await _retry.ExecuteAsync(
                async ct => await _client.DeleteObjectAsync(_settings.Bucket, _rootPrefix + key, new DeleteObjectOptions { RetryOptions = RetryOptions.Never }, ct),
                cancellationToken);
        }
        catch (GoogleApiException e) when (e.HttpStatusCode == HttpStatusCode.NotFound)
        {
            // Already gone, perhaps by an earlier try of this very delete whose answer was lost.
        }
        catch (GoogleApiException e)
        {
            throw Failure("deleting", key, e);
        }
    }

    public void Dispose() => _client.Dispose();

    private static GoogleCredential ServiceAccount(string json)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(json);
        try
        {
            // Only a service account key: CredentialFactory refuses other credential types, which GoogleCredential.FromJson
            // would load from whatever JSON it is given (hence its deprecation).
            return CredentialFactory.FromJson<ServiceAccountCredential>(json).ToGoogleCredential();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or Newtonsoft.Json.JsonException)
        {
            // The key is a secret: the message says what is wrong with it, never what it holds.
            throw new ArgumentException($"not a Google service account key (JSON with type service_account, client_email and private_key): {e.GetType().Name}", nameof(json));
        }
    }

    private StorageException Failure(string doing, string key, GoogleApiException e) =>
        new($"GCS bucket {_settings.Bucket} at {_settings.BaseUriOrDefault}: {doing} '{key}' failed: {(int)e.HttpStatusCode} {e.Error?.Errors?.FirstOrDefault()?.Reason ?? e.Error?.Message}", e);
}
