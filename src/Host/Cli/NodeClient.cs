using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Archiver.Host.Api;
using Archiver.Host.Node;

namespace Archiver.Host.Cli;

/// <summary>
/// The commands' way to a running node (<c>/api/v1</c>, <c>/inspect</c>): every failure becomes an exit code and
/// the one message a person (or a script) acts on, naming the node and what to check.
/// </summary>
public sealed class NodeClient : IDisposable
{
    private readonly HttpClient _http;

    public NodeClient(Uri node, string? token)
    {
        _http = new HttpClient { BaseAddress = node, Timeout = TimeSpan.FromSeconds(60) };
        if (!string.IsNullOrEmpty(token)) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public Uri Node => _http.BaseAddress!;

    public static Option<string> NodeOption() => new("--node")
    {
        Description = $"The node's address (default $ARCHIVER_NODE or http://127.0.0.1:{NodeSettings.DefaultHttpPort}).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ARCHIVER_NODE") is { Length: > 0 } node ? node : $"http://127.0.0.1:{NodeSettings.DefaultHttpPort}",
    };

    public static Option<string?> TokenOption() => new("--token") { Description = "The node's bearer token (default $ARCHIVER_TOKEN)." };

    public static NodeClient From(ParseResult parse, Option<string> node, Option<string?> token)
    {
        var address = parse.GetValue(node)!;
        if (!Uri.TryCreate(address.EndsWith('/') ? address : address + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new CommandFailure(ExitCodes.Usage, $"--node: '{address}' is not an http(s) address, such as http://127.0.0.1:{NodeSettings.DefaultHttpPort}");
        }

        return new NodeClient(uri, parse.GetValue(token) ?? Environment.GetEnvironmentVariable("ARCHIVER_TOKEN"));
    }

    public Task<T> GetAsync<T>(string path, CancellationToken cancellation) => SendAsync<T>(new HttpRequestMessage(HttpMethod.Get, path), cancellation);

    public Task<string> GetTextAsync(string path, CancellationToken cancellation) => SendAsync<string>(new HttpRequestMessage(HttpMethod.Get, path), cancellation);

    public Task<T> PostAsync<T>(string path, object body, CancellationToken cancellation) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body, options: ApiJson.Options) }, cancellation);

    public Task<T> PostTextAsync<T>(string path, string body, CancellationToken cancellation) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/yaml") }, cancellation);

    public Task<T> DeleteAsync<T>(string path, CancellationToken cancellation) => SendAsync<T>(new HttpRequestMessage(HttpMethod.Delete, path), cancellation);

    /// <summary>Sends; answers 2xx as <typeparamref name="T"/>, anything else as a <see cref="CommandFailure"/> with the node's message.</summary>
    public async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellation)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellation);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e.Message);
        }
        catch (TaskCanceledException) when (!cancellation.IsCancellationRequested)
        {
            throw Unreachable($"no answer within {_http.Timeout.TotalSeconds:0} s");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellation);
            if (response.IsSuccessStatusCode)
            {
                if (typeof(T) == typeof(string)) return (T)(object)text;
                try
                {
                    return System.Text.Json.JsonSerializer.Deserialize<T>(text, ApiJson.Options)
                        ?? throw new CommandFailure(ExitCodes.Failed, $"the node at {Node} answered null");
                }
                catch (System.Text.Json.JsonException)
                {
                    throw new CommandFailure(ExitCodes.Unreachable, $"{Node} answered something that is not an Archiver node's JSON; is --node right?");
                }
            }

            throw response.StatusCode switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                    new CommandFailure(ExitCodes.Unreachable, $"{Node} refused the request: {MessageOf(text, response.StatusCode)}"),
                // A 404 without our error body is some other server's: the address is wrong, not the request.
                HttpStatusCode.NotFound when !IsApiError(text) =>
                    new CommandFailure(ExitCodes.Unreachable, $"{Node} has no endpoint {request.RequestUri}; is --node an Archiver node?"),
                _ => new CommandFailure(ExitCodeOf(response.StatusCode), MessageOf(text, response.StatusCode)),
            };
        }
    }

    private CommandFailure Unreachable(string reason) =>
        new(ExitCodes.Unreachable, $"cannot reach the node at {Node}: {reason}. Is it running (archiver run)? Name it with --node or $ARCHIVER_NODE.");

    private static bool IsApiError(string body)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<ApiError>(body, ApiJson.Options)?.Message is { Length: > 0 };
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    public static string MessageOf(string body, HttpStatusCode status)
    {
        try
        {
            var error = System.Text.Json.JsonSerializer.Deserialize<ApiError>(body, ApiJson.Options);
            if (error?.Message is { Length: > 0 } message)
            {
                return error.Details is { Count: > 0 } details ? message + "\n  " + string.Join("\n  ", details) : message;
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // Not ours: fall through to the status line.
        }

        return $"the node answered {(int)status} {status}";
    }

    private static int ExitCodeOf(HttpStatusCode status) => status switch
    {
        HttpStatusCode.ServiceUnavailable or HttpStatusCode.InternalServerError => ExitCodes.Failed,
        _ => ExitCodes.Invalid,
    };

    public void Dispose() => _http.Dispose();
}

/// <summary>A command that cannot go on: the exit code and the one line it prints.</summary>
public sealed class CommandFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
