using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Archiver.Emulators.Gcs;
using Xunit;

namespace Archiver.Emulators.Tests.Gcs;

/// <summary>
/// The GCS stand-in refuses on the wire what GCS refuses, with GCS's JSON errors: requests Google's client never
/// makes, so the store's suites (which go through the client) cannot show them.
/// </summary>
public sealed class GcsStandInTests : IAsyncLifetime
{
    private const int Granularity = 256 * 1024;
    private readonly HttpClient _http = new();
    private GcsEmulator _gcs = null!;

    public async Task InitializeAsync() => _gcs = await GcsEmulator.StartAsync(new GcsEmulatorOptions { Buckets = ["bkt"] });

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _gcs.DisposeAsync();
    }

    [Fact]
    public async Task An_anonymous_caller_is_refused_but_a_session_uri_is_its_own_credential()
    {
        var anonymous = await _http.GetAsync(new Uri(_gcs.BaseUri, "b/bkt/o"));
        var session = await StartAsync("o");

        var chunk = await PutAsync(session, "bytes 0-2/3", [1, 2, 3]);

        Assert.Equal((HttpStatusCode.Unauthorized, "required"), (anonymous.StatusCode, await ReasonAsync(anonymous)));
        Assert.Equal(HttpStatusCode.OK, chunk.StatusCode);
        Assert.Equal([1, 2, 3], _gcs.ReadObject("bkt", "o"));
    }

    [Fact]
    public async Task A_session_for_an_object_that_exists_under_ifGenerationMatch_0_is_refused_with_412_conditionNotMet()
    {
        _gcs.WriteObject("bkt", "taken", [9]);

        var response = await SendAsync(HttpMethod.Post, new Uri(_gcs.Url, "upload/storage/v1/b/bkt/o?uploadType=resumable&ifGenerationMatch=0"), "{\"name\":\"taken\"}");

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal((412, "conditionNotMet"), (error["code"]!.GetValue<int>(), error["errors"]![0]!["reason"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Chunks_that_leave_a_gap_or_end_off_the_256_KiB_grid_are_refused_and_the_session_carries_on()
    {
        var session = await StartAsync("chunked");

        var gap = await PutAsync(session, $"bytes {Granularity}-{(2 * Granularity) - 1}/*", new byte[Granularity]);
        var ragged = await PutAsync(session, "bytes 0-99/*", new byte[100]);
        var aligned = await PutAsync(session, $"bytes 0-{Granularity - 1}/*", new byte[Granularity]);

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (gap.StatusCode, ragged.StatusCode));
        Assert.Equal(308, (int)aligned.StatusCode);
        Assert.Equal($"bytes=0-{Granularity - 1}", aligned.Headers.GetValues("Range").Single());
        Assert.Null(_gcs.ReadObject("bkt", "chunked"));
    }

    [Fact]
    public async Task A_last_chunk_whose_crc32c_does_not_match_publishes_nothing_and_ends_the_session()
    {
        var session = await StartAsync("checked");
        var request = new HttpRequestMessage(HttpMethod.Put, session) { Content = new ByteArrayContent([1, 2, 3]) };
        request.Content.Headers.Add("Content-Range", "bytes 0-2/3");
        request.Headers.TryAddWithoutValidation("x-goog-hash", "crc32c=AAAAAA==");

        var refused = await _http.SendAsync(request);
        var again = await PutAsync(session, "bytes */3", []);

        Assert.Equal((HttpStatusCode.BadRequest, "invalid"), (refused.StatusCode, await ReasonAsync(refused)));
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Null(_gcs.ReadObject("bkt", "checked"));
    }

    [Fact]
    public async Task Listing_parameters_the_stand_in_does_not_serve_are_refused_by_name_not_ignored()
    {
        var response = await SendAsync(HttpMethod.Get, new Uri(_gcs.BaseUri, "b/bkt/o?delimiter=%2F"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("delimiter", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<Uri> StartAsync(string name)
    {
        var response = await SendAsync(HttpMethod.Post, new Uri(_gcs.Url, "upload/storage/v1/b/bkt/o?uploadType=resumable"), $"{{\"name\":\"{name}\"}}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.Location!;
    }

    private async Task<HttpResponseMessage> PutAsync(Uri session, string range, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, session) { Content = new ByteArrayContent(body) };
        request.Content.Headers.Add("Content-Range", range);
        return await _http.SendAsync(request);
    }

    /// <summary>A request with an access token from the stand-in's token endpoint, as a service account gets one (RFC 7523).</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, string? json = null)
    {
        var request = new HttpRequestMessage(method, uri);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await AccessTokenAsync());
        return await _http.SendAsync(request);
    }

    private async Task<string> AccessTokenAsync()
    {
        var key = JsonNode.Parse(_gcs.CreateServiceAccountKey())!;
        using var rsa = System.Security.Cryptography.RSA.Create();
        rsa.ImportFromPem(key["private_key"]!.GetValue<string>());
        static string Part(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var unsigned = Part($"{{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"{key["private_key_id"]}\"}}") + "." + Part($"{{\"iss\":\"{key["client_email"]}\",\"scope\":\"https://www.googleapis.com/auth/devstorage.full_control\",\"aud\":\"{key["token_uri"]}\",\"iat\":{now},\"exp\":{now + 3600}}}");
        var signature = Convert.ToBase64String(rsa.SignData(Encoding.ASCII.GetBytes(unsigned), System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var token = await _http.PostAsync(key["token_uri"]!.GetValue<string>(), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:jwt-bearer",
            ["assertion"] = unsigned + "." + signature,
        }));
        return JsonNode.Parse(await token.Content.ReadAsStringAsync())!["access_token"]!.GetValue<string>();
    }

    private static async Task<string?> ReasonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())?["error"]?["errors"]?[0]?["reason"]?.GetValue<string>();
}
