using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Archiver.Storage.Tests.Support;

/// <summary>
/// Sits between the S3 client and the real server and fails chosen requests: an HTTP 500/503 answer, or a
/// connection reset after the request already reached the server (the nastiest case for "lose nothing").
/// </summary>
internal sealed class FaultInjectingHandler(Func<HttpRequestMessage, bool> applies) : DelegatingHandler(new SocketsHttpHandler())
{
    private readonly ConcurrentQueue<Fault> _faults = new();
    private readonly ConcurrentDictionary<string, bool> _stored = new(StringComparer.Ordinal);
    private int _requests;
    private int _injected;

    /// <summary>
    /// Answers a PUT with <c>If-None-Match: *</c> on a key already stored through this handler with 412, as AWS S3 and
    /// MinIO do (s3rver ignores the header): the store's conditional writes meet the server they are written for.
    /// </summary>
    public bool EnforceIfNoneMatch { get; init; }

    public enum Fault
    {
        InternalError,
        ServiceUnavailable,
        ResetBeforeSend,
        ResetAfterSend,
        Forbidden,
        BreakBodyMidway,

        /// <summary>The answer's body arrives with one bit flipped, its headers as they were: damage in transit.</summary>
        CorruptBody,
    }

    public int Requests => _requests;

    public int Injected => _injected;

    public void Enqueue(params Fault[] faults)
    {
        foreach (var fault in faults)
        {
            _faults.Enqueue(fault);
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        if (EnforceIfNoneMatch && request.Method == HttpMethod.Put && request.Headers.IfNoneMatch.Any(t => t.Tag == "*") && _stored.ContainsKey(request.RequestUri!.AbsolutePath))
        {
            return ErrorResponse(HttpStatusCode.PreconditionFailed, "PreconditionFailed");
        }

        if (!applies(request) || !_faults.TryDequeue(out var fault))
        {
            return await ForwardAsync(request, cancellationToken);
        }

        Interlocked.Increment(ref _injected);
        switch (fault)
        {
            case Fault.InternalError:
                return ErrorResponse(HttpStatusCode.InternalServerError, "InternalError");
            case Fault.ServiceUnavailable:
                return ErrorResponse(HttpStatusCode.ServiceUnavailable, "SlowDown");
            case Fault.Forbidden:
                return ErrorResponse(HttpStatusCode.Forbidden, "AccessDenied");
            case Fault.BreakBodyMidway:
                var response = await base.SendAsync(request, cancellationToken);
                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                var broken = new StreamContent(new FailingStream(body, body.Length / 2));
                foreach (var header in response.Content.Headers)
                {
                    broken.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }

                response.Content = broken;
                return response;
            case Fault.CorruptBody:
                var sent = await base.SendAsync(request, cancellationToken);
                var bytes = await sent.Content.ReadAsByteArrayAsync(cancellationToken);
                bytes[bytes.Length / 2] ^= 0x01;
                var damaged = new ByteArrayContent(bytes);
                foreach (var header in sent.Content.Headers)
                {
                    damaged.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }

                sent.Content = damaged;
                return sent;
            case Fault.ResetAfterSend:
                using (await ForwardAsync(request, cancellationToken))
                {
                    throw Reset();
                }

            default:
                throw Reset();
        }
    }

    /// <summary>Sends the request on, noting a key stored by a PUT that succeeded.</summary>
    private async Task<HttpResponseMessage> ForwardAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (request.Method == HttpMethod.Put && response.IsSuccessStatusCode && !request.RequestUri!.Query.Contains("partNumber", StringComparison.Ordinal))
        {
            _stored[request.RequestUri.AbsolutePath] = true;
        }

        return response;
    }

    private static HttpRequestException Reset() =>
        new("Connection reset by peer (injected)", new IOException("reset", new SocketException((int)SocketError.ConnectionReset)));

    private static HttpResponseMessage ErrorResponse(HttpStatusCode status, string code) => new(status)
    {
        Content = new StringContent(
            $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected</Message><RequestId>1</RequestId></Error>",
            Encoding.UTF8,
            "application/xml"),
    };
}
