using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Archiver.Host.Api;
using Archiver.Host.Node;

namespace Archiver.Host.Cli;

/// <summary>
/// <c>archiver inspect</c>'s way to a node's <c>/inspect</c>: a GET that answers the JSON body, or an
/// <see cref="InspectFailure"/> carrying the exit code and the one message a person (or a script) acts on.
/// </summary>
internal sealed class InspectClient : IDisposable
{
    private readonly HttpClient _http;

    private InspectClient(Uri node, string? token)
    {
        _http = new HttpClient { BaseAddress = node, Timeout = TimeSpan.FromSeconds(30) };
        if (!string.IsNullOrEmpty(token)) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public static string DefaultNode() =>
        Environment.GetEnvironmentVariable("ARCHIVER_NODE") is { Length: > 0 } node ? node : $"http://127.0.0.1:{NodeSettings.DefaultHttpPort}";

    public static InspectClient Create(string node, string? token)
    {
        if (!Uri.TryCreate(node.EndsWith('/') ? node : node + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new InspectFailure(ExitCodes.Usage, $"--node: '{node}' is not an http(s) address, such as http://127.0.0.1:{NodeSettings.DefaultHttpPort}");
        }

        return new InspectClient(uri, string.IsNullOrEmpty(token) ? Environment.GetEnvironmentVariable("ARCHIVER_TOKEN") : token);
    }

    public async Task<JsonElement> GetAsync(string path, CancellationToken cancellation)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(path, cancellation);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e.Message);
        }
        catch (TaskCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw Unreachable($"no answer within {_http.Timeout.TotalSeconds:0}s");
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellation);
            if (response.IsSuccessStatusCode)
            {
                try
                {
                    return JsonDocument.Parse(body).RootElement.Clone();
                }
                catch (JsonException)
                {
                    throw new InspectFailure(ExitCodes.Unreachable, $"{_http.BaseAddress} answered something that is not an Archiver node's JSON; is --node right?");
                }
            }

            var message = MessageOf(body) ?? $"{(int)response.StatusCode} {response.ReasonPhrase}";
            throw response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => new InspectFailure(ExitCodes.Unreachable, $"{_http.BaseAddress} refused the request: {message}"),
                HttpStatusCode.NotFound when MessageOf(body) is null =>
                    new InspectFailure(ExitCodes.Unreachable, $"{_http.BaseAddress} has no inspection endpoint ({path}); is --node an Archiver node?"),
                HttpStatusCode.NotFound or HttpStatusCode.BadRequest => new InspectFailure(ExitCodes.Invalid, message),
                _ => new InspectFailure(ExitCodes.Failed, $"the node failed: {message}"),
            };
        }
    }

    public void Dispose() => _http.Dispose();

    private InspectFailure Unreachable(string reason) =>
        new(ExitCodes.Unreachable, $"cannot reach the node at {_http.BaseAddress}: {reason}. Is it running (archiver run)? Name it with --node or $ARCHIVER_NODE.");

    private static string? MessageOf(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<ApiError>(body, ApiJson.Options)?.Message;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>An inspection that could not be done: the exit code and what to say on standard error.</summary>
internal sealed class InspectFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
