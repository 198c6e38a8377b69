using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Archiver.Emulators.Cluster.Api;

namespace Archiver.Emulators.Cluster.Kubelet;

/// <summary>
/// One readiness, liveness or startup probe of a container, on the kubelet's schedule (pkg/kubelet/prober/worker.go):
/// first after <c>initialDelaySeconds</c>, then every <c>periodSeconds</c>, each within <c>timeoutSeconds</c>; the result
/// flips after <c>successThreshold</c> successes or <c>failureThreshold</c> failures in a row. <c>tcpSocket</c> and
/// <c>httpGet</c> are real requests to the pod's address. <c>exec</c> runs the command in the container
/// (<see cref="IContainerRun.ExecAsync"/>), except KubeDB's MongoDB probes (<c>mongosh … db.adminCommand('ping')</c>),
/// which no image is here to run: they are answered by a real <c>ping</c> over the wire to the pod's member, which is
/// what the command asks. <c>grpc</c> probes fail, saying so.
/// </summary>
internal sealed class Probe
{
    private static readonly HttpClient s_http = new(new SocketsHttpHandler
    {
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        PooledConnectionLifetime = TimeSpan.Zero,
    });

    private readonly JsonObject _probe;
    private readonly int _successThreshold;
    private readonly int _failureThreshold;
    private int _successes;
    private int _failures;

    public Probe(JsonObject probe, DateTimeOffset started)
    {
        _probe = probe;
        Period = TimeSpan.FromSeconds(Math.Max(1, J.Int(probe["periodSeconds"], 10)));
        Timeout = TimeSpan.FromSeconds(Math.Max(1, J.Int(probe["timeoutSeconds"], 1)));
        _successThreshold = Math.Max(1, J.Int(probe["successThreshold"], 1));
        _failureThreshold = Math.Max(1, J.Int(probe["failureThreshold"], 3));
        NextAt = started + TimeSpan.FromSeconds(J.Int(probe["initialDelaySeconds"], 0));
    }

    public TimeSpan Period { get; }

    public TimeSpan Timeout { get; }

    public DateTimeOffset NextAt { get; private set; }

    /// <summary>Null until the threshold is first reached either way; then whether the probe passes.</summary>
    public bool? Passing { get; private set; }

    public string LastMessage { get; private set; } = "";

    public async Task RunAsync(PodContext pod, JsonObject container, IContainerRun run, DateTimeOffset now)
    {
        NextAt = now + Period;
        bool ok;
        (ok, var message) = await CheckAsync(pod, container, run).ConfigureAwait(false);
        LastMessage = message;
        if (ok)
        {
            _failures = 0;
            if (++_successes >= _successThreshold) Passing = true;
        }
        else
        {
            _successes = 0;
            if (++_failures >= _failureThreshold) Passing = false;
        }
    }

    private async Task<(bool, string)> CheckAsync(PodContext pod, JsonObject container, IContainerRun run)
    {
        if (_probe["tcpSocket"] is JsonObject tcp)
        {
            var endPoint = new IPEndPoint(Host(pod, tcp), Port(container, tcp["port"]));
            using var limit = new CancellationTokenSource(Timeout);
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(endPoint, limit.Token).ConfigureAwait(false);
                return (true, "");
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                return (false, $"dial tcp {endPoint}: {e.Message}");
            }
        }

        if (_probe["httpGet"] is JsonObject http)
        {
            var scheme = J.Text(http["scheme"]) is { Length: > 0 } s ? s.ToLowerInvariant() : "http";
            var path = J.Text(http["path"]) is { Length: > 0 } p ? p : "/";
            var url = new Uri($"{scheme}://{Host(pod, http)}:{Port(container, http["port"])}{(path.StartsWith('/') ? path : "/" + path)}");
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            foreach (var header in J.Objects(http["httpHeaders"])) request.Headers.TryAddWithoutValidation(J.Text(header["name"]), J.Text(header["value"]));
            using var limit = new CancellationTokenSource(Timeout);
            try
            {
                using var response = await s_http.SendAsync(request, limit.Token).ConfigureAwait(false);
                var code = (int)response.StatusCode;
                return (code is >= 200 and < 400, $"HTTP probe failed with statuscode: {code}");
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                return (false, $"Get \"{url}\": {e.Message}");
            }
        }

        if (_probe["exec"] is JsonObject exec)
        {
            var command = (exec["command"] as JsonArray ?? []).Select(J.Text).ToList();
            if (IsMongoPing(command))
            {
                return await MongoWire.PingAsync(new IPEndPoint(pod.Address, 27017), Timeout).ConfigureAwait(false)
                    ? (true, "") : (false, "ping to the member failed");
            }

            var result = await run.ExecAsync(command, Timeout).ConfigureAwait(false);
            return result is { } done ? (done.ExitCode == 0, done.Output) : (false, $"the cluster stand-in cannot run {string.Join(' ', command)} in this container");
        }

        return (false, "the cluster stand-in runs tcpSocket, httpGet and exec probes only");
    }

    /// <summary>KubeDB's MongoDB probe: a shell running <c>mongosh</c> (or <c>mongo</c>) with <c>db.adminCommand('ping')</c>.</summary>
    public static bool IsMongoPing(IReadOnlyList<string> command)
    {
        var text = string.Join(' ', command);
        return (text.Contains("mongosh", StringComparison.Ordinal) || text.Contains("mongo ", StringComparison.Ordinal)) && text.Contains("ping", StringComparison.Ordinal);
    }

    private static IPAddress Host(PodContext pod, JsonObject handler) =>
        IPAddress.TryParse(J.Text(handler["host"]), out var host) ? host : pod.Address;

    private static int Port(JsonObject container, JsonNode? port)
    {
        var number = J.Int(port, -1);
        if (number > 0) return number;
        var name = J.Text(port);
        return J.Objects(container["ports"]).Where(p => J.Text(p["name"]) == name).Select(p => J.Int(p["containerPort"], 0)).FirstOrDefault();
    }
}
