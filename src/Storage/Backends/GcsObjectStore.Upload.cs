using System.Net;
using System.Runtime.ExceptionServices;
using Google;
using Google.Apis.Upload;
using Google.Cloud.Storage.V1;

namespace Archiver.Storage.Backends;

public sealed partial class GcsObjectStore
{
    /// <summary>
    /// One resumable upload session (https://cloud.google.com/storage/docs/resumable-uploads) per write, chunk by
    /// chunk, so only one chunk is ever in memory. A try that fails with a transient error is resumed in the same
    /// session (the client asks GCS how many bytes it has and sends the rest from its buffered chunk) rather than
    /// started again: an interrupted final chunk that did reach GCS completes the object instead of meeting its own
    /// <c>ifGenerationMatch=0</c> and reading as "someone else was first".
    /// </summary>
    private async Task<bool> UploadAsync(string key, Stream content, bool ifAbsent, CancellationToken cancellationToken)
    {
        ObjectKey.Validate(key);
        ArgumentNullException.ThrowIfNull(content);
        using var source = new GcsSourceStream(content);
        var options = new UploadObjectOptions { ChunkSize = _settings.ChunkSizeBytes, IfGenerationMatch = ifAbsent ? 0 : null };
        var upload = _client.CreateObjectUploader(_settings.Bucket, _rootPrefix + key, ContentType, source, options);
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
            return true;
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
    }

    /// <summary>Carries the caller's stream's own failure past the retry layer, which would otherwise take an IOException for the network's.</summary>
    private sealed class SourceFailedException(Exception source) : Exception("the content stream failed")
    {
        public new Exception Source { get; } = source;
    }

    internal int WindowBytes => _settings.ChunkSizeBytes;

    /// <summary>
    /// Bytes <paramref name="from"/>..<paramref name="to"/> of generation <paramref name="generation"/> into
    /// <paramref name="window"/>. The client reads a response whole before it writes any of it, so a try broken off
    /// mid-body asks for the window again: at most one window is fetched twice, never the object.
    /// </summary>
    internal async Task FetchRangeAsync(string key, long generation, long from, long to, MemoryStream window, CancellationToken cancellationToken)
    {
        try
        {
            await _retry.ExecuteAsync(
                async ct =>
                {
                    window.SetLength(0);
                    await _client.DownloadObjectAsync(_settings.Bucket, _rootPrefix + key, window, GcsReadStream.Options(generation, from, to, _settings.ChunkSizeBytes), ct);
                },
                cancellationToken);
        }
        catch (GoogleApiException e) when (e.HttpStatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            throw new StorageException($"Object '{key}' was replaced or deleted while it was being read.", e);
        }
        catch (GoogleApiException e)
        {
            throw Failure("reading", key, e);
        }
    }
}
