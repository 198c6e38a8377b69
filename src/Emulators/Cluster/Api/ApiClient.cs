using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Archiver.Emulators.Cluster.Api;

/// <summary>
/// How the stand-in's controllers and kubelet talk to the API server: over HTTPS with a bearer token of their own, as
/// kube-controller-manager, the kubelet and the KubeDB operator do in a cluster, so every write they make goes through
/// the API server's rules (versions, conflicts, the garbage collector) and shows in its access record under their name.
/// </summary>
internal sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    public ApiClient(Uri server, string token, string caPem)
    {
        var ca = X509Certificate2.CreateFromPem(caPem);
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            SslOptions =
            {
                // Trust the API server's own CA only, as a kubeconfig's certificate-authority-data makes clients do.
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is null) return false;
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    return chain.Build(presented);
                },
            },
        };
        _http = new HttpClient(handler) { BaseAddress = server, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>One object, or null when it does not exist.</summary>
    public async Task<JsonObject?> GetAsync(string path, CancellationToken cancellation)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, null, cancellation).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        return await ReadAsync(response, cancellation).ConfigureAwait(false);
    }

    public async Task<JsonObject> ListAsync(string path, CancellationToken cancellation)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, null, cancellation).ConfigureAwait(false);
        return await ReadAsync(response, cancellation).ConfigureAwait(false);
    }

    public async Task<JsonObject> CreateAsync(string collectionPath, JsonObject body, CancellationToken cancellation)
    {
        using var response = await SendAsync(HttpMethod.Post, collectionPath, body, "application/json", cancellation).ConfigureAwait(false);
        return await ReadAsync(response, cancellation).ConfigureAwait(false);
    }

    public async Task<JsonObject> ReplaceAsync(string path, JsonObject body, CancellationToken cancellation)
    {
        using var response = await SendAsync(HttpMethod.Put, path, body, "application/json", cancellation).ConfigureAwait(false);
        return await ReadAsync(response, cancellation).ConfigureAwait(false);
    }

    /// <summary>A JSON merge patch (RFC 7386): what a controller sends to change only the fields it owns.</summary>
    public async Task<JsonObject> MergePatchAsync(string path, JsonObject patch, CancellationToken cancellation)
    {
        using var response = await SendAsync(HttpMethod.Patch, path, patch, "application/merge-patch+json", cancellation).ConfigureAwait(false);
        return await ReadAsync(response, cancellation).ConfigureAwait(false);
    }

    /// <summary>A JSON patch (RFC 6902): the operations the snapshot controllers send (finalizers, annotations, status).</summary>
    public async Task<JsonObject> JsonPatchAsync(string path, JsonArray operations, CancellationToken cancellation)
    {
        using var response = await SendAsync(HttpMethod.Patch, path, operations, "application/json-patch+json", cancellation).ConfigureAwait(false);
        return await ReadAsync(response, cancellation).ConfigureAwait(false);
    }

    /// <summary>Deletes; false when it was already gone.</summary>
    public async Task<bool> DeleteAsync(string path, CancellationToken cancellation, string? propagation = null)
    {
        var query = propagation is null ? "" : $"?propagationPolicy={propagation}";
        using var response = await SendAsync(HttpMethod.Delete, path + query, null, null, cancellation).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        await ReadAsync(response, cancellation).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// A watch from <paramref name="resourceVersion"/>: one (type, object) per line until the server ends the stream.
    /// An <c>ERROR</c> event (410 Expired) ends it with an <see cref="ApiException"/> of code 410.
    /// </summary>
    public async IAsyncEnumerable<(string Type, JsonObject Object)> WatchAsync(string path, string resourceVersion, [EnumeratorCancellation] CancellationToken cancellation)
    {
        var url = $"{path}?watch=true&allowWatchBookmarks=true&resourceVersion={resourceVersion}&timeoutSeconds=300";
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellation).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) await ReadAsync(response, cancellation).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellation).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0) continue;
            var item = JsonNode.Parse(line) as JsonObject;
            var type = item?["type"]?.GetValue<string>() ?? "";
            var obj = item?["object"] as JsonObject ?? [];
            if (type == "ERROR") throw ApiException.From(obj["code"]?.GetValue<int>() ?? 500, obj);
            yield return (type, obj);
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonNode? body, string? contentType, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType!);
        }

        return await _http.SendAsync(request, cancellation).ConfigureAwait(false);
    }

    private static async Task<JsonObject> ReadAsync(HttpResponseMessage response, CancellationToken cancellation)
    {
        var text = await response.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false);
        var json = text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject;
        if (!response.IsSuccessStatusCode) throw ApiException.From((int)response.StatusCode, json);
        return json ?? [];
    }
}

/// <summary>An API server's refusal: its code, reason and message (a <c>Status</c> object's).</summary>
internal sealed class ApiException(int code, string reason, string message) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public static ApiException From(int code, JsonObject? status) =>
        new(code, status?["reason"]?.GetValue<string>() ?? "", status?["message"]?.GetValue<string>() ?? $"HTTP {code}");
}
