using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Archiver.Emulators.Kubernetes;

/// <summary>
/// How kube-apiserver POSTs an AdmissionReview to a webhook's <c>clientConfig</c> (k8s.io/apiserver
/// <c>pkg/util/webhook/client.go</c> HookClient, <c>pkg/util/webhook/validation.go</c>): to its <c>url</c>, or to
/// <c>https://{service}.{namespace}.svc:{port}{path}</c> (port 443 unless given) dialled at the address the Service
/// resolves to, always over TLS with the server name <c>{service}.{namespace}.svc</c>, trusting only the
/// <c>caBundle</c> (the system's roots when there is none), matching the host against the certificate's subject
/// alternative names only (Go ignores the common name) and requiring the server-auth usage when usages are listed;
/// the request carries <c>?timeout=Ns</c> and is abandoned after <c>timeoutSeconds</c>. Every failure is a
/// <see cref="WebhookCallFailed"/> worded as Go's client words it (<c>Post "url": dial tcp …: connect: connection
/// refused</c>, <c>tls: failed to verify certificate: x509: …</c>, <c>context deadline exceeded</c>) where the .NET
/// cause maps to one; other causes keep .NET's words.
/// </summary>
internal static class WebhookTransport
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    /// <param name="resolveService">For a Service's namespace, name and port, the address to dial; throws with the API server's reason when it cannot.</param>
    public static async Task<JsonObject> PostAsync(string webhookName, JsonObject clientConfig, int timeoutSeconds, JsonObject review, Func<string, string, int, IPEndPoint> resolveService, CancellationToken cancellation)
    {
        var (url, service) = Target(webhookName, clientConfig);
        var requestText = url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + $"timeout={timeoutSeconds}s";
        var requestUrl = new Uri(requestText);
        var roots = Roots(clientConfig["caBundle"]);
        string? tlsFailure = null;
        var ends = "";
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var stream = await DialAsync(context.DnsEndPoint, service, resolveService, token).ConfigureAwait(false);
                ends = $"{stream.Socket.LocalEndPoint}->{stream.Socket.RemoteEndPoint}";
                return stream;
            },
            SslOptions =
            {
                TargetHost = requestUrl.Host,
                RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                {
                    tlsFailure = Verify(certificate, chain, requestUrl.Host, roots);
                    return tlsFailure is null;
                },
            },
        };
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        var prefix = $"Post \"{requestText}\": ";
        try
        {
            using var content = new StringContent(review.ToJsonString(), Encoding.UTF8, "application/json");
            using var response = await http.PostAsync(requestUrl, content, deadline.Token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                // client-go's REST client turns a non-2xx answer without a Status into a generic error (apimachinery
                // pkg/api/errors NewGenericServerResponse); it names no URL.
                throw new WebhookCallFailed("failed to call webhook: " + (response.StatusCode == HttpStatusCode.NotFound
                    ? "the server could not find the requested resource"
                    : $"an error on the server (\"{text.Trim()}\") has prevented the request from succeeding"));
            }

            return JsonNode.Parse(text) as JsonObject ?? throw new WebhookCallFailed("failed to call webhook: the response is not a JSON object");
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            throw new WebhookCallFailed($"failed to call webhook: {prefix}context deadline exceeded");
        }
        catch (HttpRequestException e)
        {
            var reason = tlsFailure ?? (e.InnerException is DialFailed dial ? dial.Message : Closed(e, ends) ?? (e.InnerException is AuthenticationException or IOException ? e.InnerException.Message : e.Message));
            throw new WebhookCallFailed($"failed to call webhook: {prefix}{reason}");
        }
        catch (JsonException e)
        {
            throw new WebhookCallFailed($"failed to call webhook: {e.Message}");
        }
    }

    /// <summary>The URL to post to and, for a Service, its (namespace, name, port); a configuration the API server would refuse to store is a call failure here.</summary>
    private static (string Url, (string Namespace, string Name, int Port)? Service) Target(string webhookName, JsonObject clientConfig)
    {
        if (clientConfig["service"] is JsonObject service)
        {
            var ns = ObjectTable.Text(service["namespace"]);
            var name = ObjectTable.Text(service["name"]);
            var port = service["port"] is JsonValue p && p.TryGetValue<int>(out var given) ? given : 443;
            var path = ObjectTable.Text(service["path"]);
            return ($"https://{name}.{ns}.svc:{port.ToString(CultureInfo.InvariantCulture)}{path}", (ns, name, port));
        }

        var url = ObjectTable.Text(clientConfig["url"]);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme != "https")
        {
            throw new WebhookCallFailed($"could not get REST client: webhook {webhookName}: clientConfig.url must be an https URL, not \"{url}\"");
        }

        return (url, null);
    }

    /// <summary>
    /// A connection the other side ended, in Go's words: reset (<c>read tcp local-&gt;remote: read: connection reset by
    /// peer</c>, as kube-proxy's REJECT or a dead endpoint does it) or closed (<c>EOF</c>); null for anything else.
    /// </summary>
    private static string? Closed(HttpRequestException failure, string ends)
    {
        for (Exception? cause = failure; cause is not null; cause = cause.InnerException)
        {
            if (cause is SocketException { SocketErrorCode: SocketError.ConnectionReset })
            {
                return $"read tcp {ends}: read: connection reset by peer";
            }
        }

        return failure.InnerException is AuthenticationException { InnerException: IOException { InnerException: null } } or IOException { InnerException: null } ? "EOF" : null;
    }

    private static async ValueTask<NetworkStream> DialAsync(DnsEndPoint target, (string Namespace, string Name, int Port)? service, Func<string, string, int, IPEndPoint> resolveService, CancellationToken cancellation)
    {
        IPEndPoint endpoint;
        if (service is { } s)
        {
            try
            {
                endpoint = resolveService(s.Namespace, s.Name, s.Port);
            }
            catch (Exception e) when (e is ApiError or InvalidOperationException or SocketException)
            {
                throw new DialFailed(e.Message);
            }
        }
        else if (IPAddress.TryParse(target.Host, out var address))
        {
            endpoint = new IPEndPoint(address, target.Port);
        }
        else
        {
            try
            {
                var addresses = await Dns.GetHostAddressesAsync(target.Host, cancellation).ConfigureAwait(false);
                endpoint = new IPEndPoint(addresses.First(), target.Port);
            }
            catch (SocketException)
            {
                throw new DialFailed($"dial tcp: lookup {target.Host}: no such host");
            }
        }

        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellation).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new DialFailed($"dial tcp {endpoint}: connect: {(e.SocketErrorCode == SocketError.ConnectionRefused ? "connection refused" : e.Message)}");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The caBundle's certificates (base64 of PEM, as JSON carries a byte array), or null for the system's roots.</summary>
    private static X509Certificate2Collection? Roots(JsonNode? caBundle)
    {
        var encoded = ObjectTable.Text(caBundle);
        if (encoded.Length == 0) return null;
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPem(Encoding.ASCII.GetString(Convert.FromBase64String(encoded)));
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            // The API server refuses to store such a bundle; here it trusts nothing, so the call fails.
            return [];
        }

        return roots;
    }

    /// <summary>Null when Go's TLS client would accept the certificate for <paramref name="host"/>, else its reason.</summary>
    private static string? Verify(X509Certificate? presented, X509Chain? sent, string host, X509Certificate2Collection? roots)
    {
        if (presented is null) return "tls: server sent no certificate";
        using var certificate = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ServerAuthentication));
        if (sent is not null)
        {
            foreach (var element in sent.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }

        if (roots is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        }

        if (!chain.Build(certificate))
        {
            var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
            var why = (flags & X509ChainStatusFlags.NotTimeValid) != 0 ? "certificate has expired or is not yet valid"
                : (flags & X509ChainStatusFlags.NotValidForUsage) != 0 ? "certificate specifies an incompatible key usage"
                : "certificate signed by unknown authority";
            return $"tls: failed to verify certificate: x509: {why}";
        }

        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (names is null) return "tls: failed to verify certificate: x509: certificate relies on legacy Common Name field, use SANs instead";
        var matches = IPAddress.TryParse(host, out var ip)
            ? names.EnumerateIPAddresses().Any(a => a.Equals(ip))
            : names.EnumerateDnsNames().Any(n => NameMatches(n, host));
        if (matches) return null;
        var valid = string.Join(", ", names.EnumerateDnsNames().Concat(names.EnumerateIPAddresses().Select(a => a.ToString())));
        return $"tls: failed to verify certificate: x509: certificate is valid for {valid}, not {host}";
    }

    /// <summary>Go's crypto/x509 matchHostnames: case-insensitive, a leading <c>*.</c> stands for exactly one label.</summary>
    private static bool NameMatches(string pattern, string host)
    {
        if (string.Equals(pattern, host, StringComparison.OrdinalIgnoreCase)) return true;
        if (!pattern.StartsWith("*.", StringComparison.Ordinal)) return false;
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && string.Equals(pattern[1..], host[dot..], StringComparison.OrdinalIgnoreCase);
    }
}
