using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Archiver.Storage.Tests.Support;

/// <summary>
/// An HTTP/1.1 proxy on 127.0.0.1 in front of a real server (Azurite), which cannot inject faults itself. The faults
/// happen on real connections, so the Azure client meets them through its own transport, connection pool and retry
/// policy, exactly as in production, rather than through a handler swapped in for tests. Every request is relayed as received: method, path and query byte for
/// byte and every header but the hop-by-hop ones, so a SharedKey signature (which covers the path, query and
/// <c>x-ms-*</c> headers, not Host) stays valid. Faults queued with <see cref="Fail"/> replace the relay for the next
/// matching requests: an error answer, a reset before or after the server saw the request, or an answer cut off
/// part-way through its body. Each request is logged, with its range, so tests can check what was asked again.
/// </summary>
internal sealed class FaultProxy : IAsyncDisposable
{
    private static readonly byte[] EndOfHead = "\r\n\r\n"u8.ToArray();

    // Hop-by-hop headers, and those HttpClient sets itself from the relayed body.
    private static readonly HashSet<string> NotRelayed = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Keep-Alive", "Expect", "Transfer-Encoding", "Content-Length", "Proxy-Connection", "TE", "Upgrade",
    };

    private readonly Uri _server;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly HttpClient _client = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false, UseProxy = false });
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _log = new();
    private readonly List<(Func<HttpRequestMessage, bool> Applies, ProxyFault Fault)> _faults = [];
    private readonly ConcurrentBag<TcpClient> _connections = [];
    private readonly Task _accepting;
    private int _injected;

    /// <param name="server">The server's base address (scheme, host and port); paths are relayed unchanged.</param>
    public FaultProxy(Uri server)
    {
        _server = new Uri(server.GetLeftPart(UriPartial.Authority));
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>How many body bytes a <see cref="ProxyFault.CutBody"/> answer delivers before the reset.</summary>
    public int CutAfterBytes { get; set; } = 1024 * 1024;

    /// <summary>How many faults have been injected so far.</summary>
    public int Injected => Volatile.Read(ref _injected);

    /// <summary>Every request seen, in arrival order: <c>METHOD /path?query</c>, and <c> bytes=a-b</c> for a ranged one.</summary>
    public IReadOnlyList<string> Log => [.. _log];

    /// <summary><paramref name="address"/> with its host and port replaced by this proxy's.</summary>
    public Uri Through(Uri address) => new UriBuilder(address) { Host = "127.0.0.1", Port = Port }.Uri;

    /// <summary>Answers the next requests <paramref name="applies"/> matches with <paramref name="faults"/>, one each, in order.</summary>
    public void Fail(Func<HttpRequestMessage, bool> applies, params ProxyFault[] faults)
    {
        lock (_faults)
        {
            _faults.AddRange(faults.Select(f => (applies, f)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var connection in _connections)
        {
            connection.Dispose();
        }

        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopping the listener ends the accept loop this way.
        }

        _client.Dispose();
        _stop.Dispose();
    }

    private static string Header(List<KeyValuePair<string, string>> headers, string name) =>
        headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value ?? string.Empty;

    private static void Reset(TcpClient connection)
    {
        // Linger 0 makes close send RST, which the client sees as "connection reset by peer", not a clean end.
        connection.Client.LingerState = new LingerOption(true, 0);
        connection.Dispose();
    }

    /// <summary>
    /// Ends a connection in the middle of an answer's body so that the client has read exactly what was sent: a reset
    /// at once would make its kernel drop the bytes it had not read yet, and where a resumed read starts would vary.
    /// So the proxy ends its side (FIN), waits for the client to give up on the short body and close, then resets.
    /// </summary>
    private static async Task EndMidwayAsync(TcpClient connection, NetworkStream stream, CancellationToken token)
    {
        connection.Client.Shutdown(SocketShutdown.Send);
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(token);
        patience.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            while (await stream.ReadAsync(new byte[4096], patience.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // Closed or reset by the client, or it kept the connection open: reset it either way.
        }

        Reset(connection);
    }

    private static byte[] Error(HttpStatusCode status, string reason, string code, bool head)
    {
        // As Azure answers: the code in x-ms-error-code and in the XML body (a HEAD gets no body).
        var body = head ? [] : Encoding.UTF8.GetBytes(
            $"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{reason}\nRequestId:00000000-0000-0000-0000-000000000000\nTime:{DateTime.UtcNow:O}</Message></Error>");
        var statusAndHeaders = $"HTTP/1.1 {(int)status} {reason}\r\nContent-Type: application/xml\r\nx-ms-error-code: {code}\r\nx-ms-request-id: 00000000-0000-0000-0000-000000000000\r\nContent-Length: {body.Length}\r\n\r\n";
        return [.. Encoding.ASCII.GetBytes(statusAndHeaders), .. body];
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var connection = await _listener.AcceptTcpClientAsync(_stop.Token);
            _connections.Add(connection);
            _ = Task.Run(() => ServeAsync(connection));
        }
    }

    private ProxyFault? TakeFault(HttpRequestMessage request)
    {
        lock (_faults)
        {
            var index = _faults.FindIndex(f => f.Applies(request));
            if (index < 0)
            {
                return null;
            }

            var fault = _faults[index].Fault;
            _faults.RemoveAt(index);
            Interlocked.Increment(ref _injected);
            return fault;
        }
    }

    private async Task ServeAsync(TcpClient connection)
    {
        try
        {
            var stream = connection.GetStream();
            var reader = PipeReader.Create(stream);
            while (await ServeOneAsync(connection, stream, reader))
            {
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or HttpRequestException)
        {
            // The client went away, or the test ended; the client sees a broken connection either way.
        }
        finally
        {
            connection.Dispose();
        }
    }

    /// <summary>Relays (or fails) one request on a kept-alive connection; false once the connection is done.</summary>
    private async Task<bool> ServeOneAsync(TcpClient connection, NetworkStream stream, PipeReader reader)
    {
        var token = _stop.Token;
        var lines = await ReadHeadAsync(reader, token);
        if (lines is null)
        {
            return false;
        }

        var requestLine = lines[0].Split(' ');
        var (method, target) = (requestLine[0], requestLine[1]);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).Select(p => KeyValuePair.Create(p[0].Trim(), p[1].Trim())).ToList();
        if (Header(headers, "Transfer-Encoding").Length > 0)
        {
            throw new NotSupportedException("A chunked request body (the Azure client sends Content-Length).");
        }

        if (Header(headers, "Expect").Equals("100-continue", StringComparison.OrdinalIgnoreCase))
        {
            // The Azure client asks before sending a body after it has been throttled.
            await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), token);
        }

        var length = Header(headers, "Content-Length") is { Length: > 0 } l ? long.Parse(l, System.Globalization.CultureInfo.InvariantCulture) : -1;
        var body = length >= 0 ? await ReadBodyAsync(reader, length, token) : null;

        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(_server, target));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
        }

        foreach (var (name, value) in headers.Where(h => !NotRelayed.Contains(h.Key)))
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        var range = Header(headers, "x-ms-range") is { Length: > 0 } r ? r : Header(headers, "Range");
        _log.Enqueue(range.Length > 0 ? $"{method} {target} {range}" : $"{method} {target}");
        var head = method == "HEAD";
        switch (TakeFault(request))
        {
            case ProxyFault.ServerBusy:
                await stream.WriteAsync(Error(HttpStatusCode.ServiceUnavailable, "The server is busy.", "ServerBusy", head), token);
                return true;
            case ProxyFault.InternalError:
                await stream.WriteAsync(Error(HttpStatusCode.InternalServerError, "Server encountered an internal error. Please try again after some time.", "InternalError", head), token);
                return true;
            case ProxyFault.Forbidden:
                await stream.WriteAsync(Error(HttpStatusCode.Forbidden, "This request is not authorized to perform this operation.", "AuthorizationFailure", head), token);
                return true;
            case ProxyFault.ResetBeforeForwarding:
                Reset(connection);
                return false;
            case ProxyFault.ResetAfterForwarding:
                using (await _client.SendAsync(request, token))
                {
                    Reset(connection);
                    return false;
                }

            case ProxyFault.CutBody:
                using (var cut = await _client.SendAsync(request, token))
                {
                    var bytes = await cut.Content.ReadAsByteArrayAsync(token);
                    await stream.WriteAsync(ResponseHead(cut, head, bytes.Length), token);
                    await stream.WriteAsync(bytes.AsMemory(0, Math.Min(CutAfterBytes, bytes.Length - 1)), token);
                    await stream.FlushAsync(token);
                    await EndMidwayAsync(connection, stream, token);
                    return false;
                }

            default:
                using (var response = await _client.SendAsync(request, token))
                {
                    var bytes = await response.Content.ReadAsByteArrayAsync(token);
                    await stream.WriteAsync(ResponseHead(response, head, bytes.Length), token);
                    await stream.WriteAsync(bytes, token);
                    return true;
                }
        }
    }

    /// <summary>The status line and headers as the server sent them (raw values), framed by Content-Length.</summary>
    private static byte[] ResponseHead(HttpResponseMessage response, bool head, int bodyLength)
    {
        var text = new StringBuilder($"HTTP/1.1 {(int)response.StatusCode} {response.ReasonPhrase}\r\n");
        foreach (var (name, values) in response.Headers.NonValidated.Concat(response.Content.Headers.NonValidated))
        {
            if (NotRelayed.Contains(name))
            {
                continue;
            }

            foreach (var value in values)
            {
                text.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }

        // A HEAD answer announces the blob's length without a body; any other is the body relayed.
        var length = head ? response.Content.Headers.ContentLength : bodyLength;
        if (length is { } n)
        {
            text.Append("Content-Length: ").Append(n).Append("\r\n");
        }

        return Encoding.ASCII.GetBytes(text.Append("\r\n").ToString());
    }

    private static async Task<List<string>?> ReadHeadAsync(PipeReader reader, CancellationToken token)
    {
        while (true)
        {
            var result = await reader.ReadAsync(token);
            var buffer = result.Buffer;
            var sequence = new SequenceReader<byte>(buffer);
            if (sequence.TryReadTo(out ReadOnlySequence<byte> head, EndOfHead))
            {
                var lines = Encoding.ASCII.GetString(head).Split("\r\n").ToList();
                reader.AdvanceTo(sequence.Position);
                return lines;
            }

            if (result.IsCompleted)
            {
                return null;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(PipeReader reader, long length, CancellationToken token)
    {
        var result = await reader.ReadAtLeastAsync((int)length, token);
        if (result.Buffer.Length < length)
        {
            throw new IOException("The client closed the connection in the middle of a request body.");
        }

        var body = result.Buffer.Slice(0, length).ToArray();
        reader.AdvanceTo(result.Buffer.GetPosition(length));
        return body;
    }
}
