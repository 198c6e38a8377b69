using System.Net;
using System.Net.Sockets;

namespace Archiver.Emulators.Cluster.Network;

/// <summary>
/// kube-proxy for one ClusterIP Service, reduced to TCP: a listener on the Service's stand-in address for each of its
/// ports, forwarding each connection to a ready endpoint its selector picks at that moment (a different one per
/// connection, round robin), as kube-proxy's rules do. No endpoint: the connection is reset at once, as kube-proxy's
/// REJECT rule refuses it. A connection stays with its endpoint until either side closes it.
/// </summary>
internal sealed class ServiceProxy : IAsyncDisposable
{
    private readonly List<TcpListener> _listeners = [];
    private readonly Func<int, IReadOnlyList<IPEndPoint>> _endpoints;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private int _next;

    /// <param name="endpoints">For a service port, the ready endpoints now (pod address and target port).</param>
    public ServiceProxy(IPAddress address, IReadOnlyList<int> ports, Func<int, IReadOnlyList<IPEndPoint>> endpoints)
    {
        Address = address;
        _endpoints = endpoints;
        foreach (var port in ports)
        {
            var listener = new TcpListener(address, port);
            listener.Start();
            _listeners.Add(listener);
            _loops.Add(AcceptAsync(listener, port));
        }
    }

    public IPAddress Address { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners) listener.Stop();
        await Task.WhenAll(_loops).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptAsync(TcpListener listener, int port)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = ForwardAsync(client, port);
        }
    }

    private async Task ForwardAsync(TcpClient client, int port)
    {
        using var inbound = client;
        var endpoints = _endpoints(port);
        if (endpoints.Count == 0)
        {
            inbound.Client.LingerState = new LingerOption(true, 0);
            return;
        }

        var target = endpoints[(int)((uint)Interlocked.Increment(ref _next) % (uint)endpoints.Count)];
        using var outbound = new TcpClient();
        try
        {
            await outbound.ConnectAsync(target, _stop.Token).ConfigureAwait(false);
            inbound.NoDelay = outbound.NoDelay = true;
            using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var up = PumpAsync(inbound.GetStream(), outbound.GetStream(), done.Token);
            var down = PumpAsync(outbound.GetStream(), inbound.GetStream(), done.Token);
            await Task.WhenAny(up, down).ConfigureAwait(false);
            await done.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(up, down).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The endpoint refused or went away: the client sees its connection end, as through kube-proxy.
        }

        inbound.Client.LingerState = new LingerOption(true, 0);
    }

    private static async Task PumpAsync(NetworkStream from, NetworkStream to, CancellationToken stop)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, stop).ConfigureAwait(false)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), stop).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Either side closed.
        }
    }
}
