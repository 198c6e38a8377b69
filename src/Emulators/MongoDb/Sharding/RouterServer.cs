using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Archiver.Emulators.MongoDb.Wire;

namespace Archiver.Emulators.MongoDb.Sharding;

/// <summary>A <c>mongos</c> listener: one loop per client connection reading OP_MSG/OP_QUERY and answering through the <see cref="Router"/>.</summary>
internal sealed class RouterServer : IAsyncDisposable
{
    private static long s_nextConnectionId;
    private static int s_nextRequestId;

    private readonly Router _router;
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, TcpClient> _connections = new();
    private readonly Task _accept;

    public RouterServer(Router router, IPEndPoint endPoint)
    {
        _router = router;
        _listener = new TcpListener(endPoint);
        _listener.Start();
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _accept = AcceptAsync();
    }

    public IPEndPoint EndPoint { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        foreach (var (id, client) in _connections)
        {
            if (_connections.TryRemove(id, out _))
            {
                client.Dispose();
            }
        }

        try
        {
            await _accept.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected on shutdown.
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            client.NoDelay = true;
            var id = Interlocked.Increment(ref s_nextConnectionId);
            _connections[id] = client;
            _ = ServeAsync(id, client, _stop.Token);
        }
    }

    private async Task ServeAsync(long id, TcpClient client, CancellationToken stop)
    {
        try
        {
            var stream = client.GetStream();
            while (!stop.IsCancellationRequested)
            {
                var message = await WireCodec.ReadAsync(stream, stop).ConfigureAwait(false);
                if (message is null)
                {
                    break;
                }

                var requestId = Interlocked.Increment(ref s_nextRequestId);
                byte[]? reply;
                switch (message.OpCode)
                {
                    case WireCodec.OpMsg:
                        var (flags, command) = WireCodec.ParseMsg(message.Body);
                        var answer = await _router.DispatchAsync(command, command.GetValue("$db", "admin").AsString, id, stop).ConfigureAwait(false);
                        reply = (flags & WireCodec.MoreToCome) != 0 ? null : WireCodec.EncodeMsg(requestId, message.RequestId, answer);
                        break;
                    case WireCodec.OpQuery:
                        var (name, query) = WireCodec.ParseQuery(message.Body);
                        var database = name.EndsWith(".$cmd", StringComparison.Ordinal) ? name[..^5] : name;
                        reply = WireCodec.EncodeReply(requestId, message.RequestId, await _router.DispatchAsync(query, database, id, stop).ConfigureAwait(false));
                        break;
                    default:
                        throw new InvalidDataException($"unsupported opcode {message.OpCode}");
                }

                if (reply is not null)
                {
                    await stream.WriteAsync(reply, stop).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidDataException or EndOfStreamException)
        {
            // The client went away, the router stopped, or the bytes made no sense: drop the connection.
        }
        finally
        {
            _router.Disconnected(id);
            if (_connections.TryRemove(id, out _))
            {
                client.Dispose();
            }
        }
    }
}
