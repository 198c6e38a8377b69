using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Google;
using Google.Apis.Requests;

namespace Archiver.Storage.Backends;

public sealed partial class GcsObjectStore
{
    /// <summary>
    /// Opens the object with one media GET on the client's authenticated HttpClient, its body streamed as it arrives.
    /// The generation and the whole object's CRC-32C come with the media (<c>x-goog-generation</c>, <c>x-goog-hash</c>;
    /// https://cloud.google.com/storage/docs/xml-api/reference-headers), so no metadata request comes first; the client's
    /// own download asks for the metadata, then buffers each range whole before handing any of it over.
    /// </summary>
    public async Task<Stream> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKey.Validate(key);
        var response = await OpenMediaAsync(key, generation: null, from: 0, cancellationToken);
        try
        {
            var headers = response.Headers;
            var generation = headers.TryGetValues("x-goog-generation", out var g) && long.TryParse(g.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw new StorageException($"GCS object '{key}' was sent without its generation (x-goog-generation)");
            var length = response.Content.Headers.ContentLength ?? throw new StorageException($"GCS object '{key}' was sent without its length");
            // Taken up after a break at the byte it reached, pinned to this generation.
            return new ResumingReadStream(
                key, new ObjectBody(await response.Content.ReadAsStreamAsync(cancellationToken), response), length, Crc32COf(headers), _settings.Retry.MaxRetries,
                async (from, ct) =>
                {
                    var resumed = await OpenMediaAsync(key, generation, from, ct);
                    return new ObjectBody(await resumed.Content.ReadAsStreamAsync(ct), resumed);
                });
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The media of <paramref name="key"/>: all of it, or when <paramref name="generation"/> is given (a body taken up
    /// again) from byte <paramref name="from"/> of that generation (<c>ifGenerationMatch</c>): its headers read, its body not yet. Retried as every request is; a 404 or 412
    /// while pinned means the object read so far was replaced or deleted.
    /// </summary>
    internal async Task<HttpResponseMessage> OpenMediaAsync(string key, long? generation, long from, CancellationToken cancellationToken)
    {
        var pinned = generation is { } g ? $"&ifGenerationMatch={g.ToString(CultureInfo.InvariantCulture)}" : string.Empty;
        var uri = new Uri(_settings.BaseUriOrDefault, $"b/{Uri.EscapeDataString(_settings.Bucket)}/o/{Uri.EscapeDataString(_rootPrefix + key)}?alt=media{pinned}");
        try
        {
            return await _retry.ExecuteAsync(
                async ct =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                    if (generation is not null) request.Headers.Range = new RangeHeaderValue(from, null);
                    var response = await _client.Service.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                    if (response.IsSuccessStatusCode) return response;
                    using (response)
                    {
                        throw await ErrorOfAsync(response, ct);
                    }
                },
                cancellationToken);
        }
        catch (GoogleApiException e) when (generation is null && e.HttpStatusCode == HttpStatusCode.NotFound)
        {
            throw new ObjectNotFoundException(key, e);
        }
        catch (GoogleApiException e) when (generation is not null && e.HttpStatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            throw new StorageException($"Object '{key}' was replaced or deleted while it was being read.", e);
        }
        catch (GoogleApiException e)
        {
            throw Failure("reading", key, e);
        }
    }

    /// <summary>The JSON API's error body (https://cloud.google.com/storage/docs/json_api/v1/status-codes) as the client would raise it.</summary>
    private static async Task<GoogleApiException> ErrorOfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var error = new RequestError { Code = (int)response.StatusCode, Message = response.ReasonPhrase, Errors = [] };
        try
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            if (body.RootElement.TryGetProperty("error", out var e))
            {
                if (e.TryGetProperty("message", out var message)) error.Message = message.GetString();
                if (e.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
                {
                    error.Errors = errors.EnumerateArray()
                        .Select(x => new SingleError
                        {
                            Reason = x.TryGetProperty("reason", out var r) ? r.GetString() : null,
                            Message = x.TryGetProperty("message", out var m) ? m.GetString() : null,
                        })
                        .ToList();
                }
            }
        }
        catch (JsonException)
        {
            // Not GCS's JSON (a proxy's page): the status says enough.
        }

        return new GoogleApiException("storage", error.Message ?? response.StatusCode.ToString()) { HttpStatusCode = response.StatusCode, Error = error };
    }

    /// <summary>The <c>crc32c</c> of <c>x-goog-hash</c> (big-endian, base64), or null when GCS sent none (a composite object sends only it, an old one may send neither).</summary>
    private static uint? Crc32COf(HttpResponseHeaders headers)
    {
        if (!headers.TryGetValues("x-goog-hash", out var values)) return null;
        foreach (var pair in values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            if (pair.StartsWith("crc32c=", StringComparison.Ordinal))
            {
                var bytes = Convert.FromBase64String(pair["crc32c=".Length..]);
                return bytes.Length == 4 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes) : null;
            }
        }

        return null;
    }
}
