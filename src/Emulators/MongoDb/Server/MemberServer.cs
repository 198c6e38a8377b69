using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Archiver.Emulators.MongoDb.Commands;
using Archiver.Emulators.MongoDb.Wire;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Server;

/// <summary>
/// One replica-set member: a TCP listener and a loop per connection that reads a message, runs its command and
/// writes the reply. Connections are served concurrently; messages on one connection in order, as mongod does. A
/// member can be stopped (its listener closed and every connection reset, as when its mongod dies) and started again,
/// on the same or another address (as a pod comes back with a new IP).
/// </summary>
internal sealed class MemberServer : IAsyncDisposable
{
    private static long s_nextConnectionId;
    private static int s_nextRequestId;

    private readonly ReplicaSetState _state;
    private readonly CommandDispatcher _dispatcher;
    private readonly ConcurrentDictionary<long, TcpClient> _connections = new();
    private readonly Lock _sync = new();
    private Run? _run;

    public MemberServer(int index, ReplicaSetState state, CommandDispatcher dispatcher)
    {
        Index = index;
        _state = state;
        _dispatcher = dispatcher;
    }

    public int Index { get; }

    /// <summary>Where the member listens, or null while it is stopped.</summary>
    public IPEndPoint? EndPoint
    {
        get
        {
            lock (_sync)
            {
                return _run?.EndPoint;
            }
        }
    }

    /// <summary>Binds <paramref name="endPoint"/> (port 0: a free one) and serves it; throws if it is already up or the address is taken.</summary>
    public void Start(IPEndPoint endPoint)
    {
        lock (_sync)
        {
            if (_run is not null) throw new InvalidOperationException($"member {Index} is already up on {_run.EndPoint}");
            var listener = new TcpListener(endPoint);
            listener.Start();
            var run = new Run(listener, (IPEndPoint)listener.LocalEndpoint);
            run.AcceptLoop = AcceptAsync(run);
            _run = run;
        }
    }

    /// <summary>
    /// Closes the listener (new connections are refused) and resets every open connection, as a mongod that dies
    /// does. Cursors and sessions live in the shared state and survive, as they would on the other members.
    /// </summary>
    public async Task StopAsync()
    {
        Run? run;
        lock (_sync)
        {
            run = _run;
            _run = null;
        }

        if (run is null) return;
        await run.Stop.CancelAsync().ConfigureAwait(false);
        run.Listener.Stop();
        KillConnections();
        try
        {
            await run.AcceptLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected on shutdown.
        }

        run.Stop.Dispose();
    }

    /// <summary>
    /// Resets every open connection (the driver sees a network error, as when a mongod drops clients). A
    /// connection is disposed by whoever takes it out of the connection map, here or its serve loop, so
    /// the reset never touches a socket the loop has already closed.
    /// </summary>
    public void KillConnections()
    {
        foreach (var (id, client) in _connections)
        {
            if (_connections.TryRemove(id, out _))
            {
                try
                {
                    client.Client.LingerState = new LingerOption(true, 0);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Already gone; disposing is all that is left to do.
                }

                client.Dispose();
            }
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task AcceptAsync(Run run)
    {
        while (!run.Stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await run.Listener.AcceptTcpClientAsync(run.Stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            client.NoDelay = true;
            var id = Interlocked.Increment(ref s_nextConnectionId);
            _connections[id] = client;
            _ = ServeAsync(new ClientConnection(id), client, run.Stop.Token);
        }
    }

    private async Task ServeAsync(ClientConnection connection, TcpClient client, CancellationToken stop)
    {
        Stream? tlsStream = null;
        try
        {
            // The TLS stream leaves the socket to the TcpClient, disposed below by whoever takes it out of the map.
            var network = client.GetStream();
            Stream stream = network;
            if (_state.Options.Tls is { } tls) stream = tlsStream = await HandshakeAsync(network, tls, stop).ConfigureAwait(false);
            while (!stop.IsCancellationRequested)
            {
                var message = await WireCodec.ReadAsync(stream, stop).ConfigureAwait(false);
                if (message is null)
                {
                    break;
                }

                var reply = await HandleAsync(connection, message, stop).ConfigureAwait(false);
                if (reply is not null)
                {
                    await stream.WriteAsync(reply, stop).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidDataException or EndOfStreamException or System.Security.Authentication.AuthenticationException)
        {
            // The client went away, failed the TLS handshake, the server stopped, or the bytes made no sense: drop the connection.
        }
        finally
        {
            if (tlsStream is not null) await tlsStream.DisposeAsync().ConfigureAwait(false);
            // Killed meanwhile: KillConnections took it out and disposes it (after setting the reset linger).
            if (_connections.TryRemove(connection.Id, out _))
            {
                client.Dispose();
            }
        }
    }

    /// <summary>
    /// TLS before the first message, as mongod in requireTLS mode: a client that sends plain bytes fails the handshake
    /// and is dropped; with a client CA, a client without a certificate that CA issued is refused.
    /// </summary>
    private async Task<Stream> HandshakeAsync(NetworkStream network, MongoEmulatorTls tls, CancellationToken stop)
    {
        var ssl = new SslStream(network, leaveInnerStreamOpen: true);
        // A client that connects and says nothing must not hold its connection until the server stops.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = tls.ServerCertificate,
                ClientCertificateRequired = tls.ClientCa is not null,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => tls.ClientCa is null || IssuedBy(certificate, tls.ClientCa),
            }, timeout.Token).ConfigureAwait(false);
            return ssl;
        }
        catch
        {
            Interlocked.Increment(ref _state.TlsHandshakesFailed);
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static bool IssuedBy(X509Certificate? certificate, X509Certificate2 ca)
    {
        if (certificate is null) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var client = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(client);
    }

    private async Task<byte[]?> HandleAsync(ClientConnection connection, WireMessage message, CancellationToken stop)
    {
        var requestId = Interlocked.Increment(ref s_nextRequestId);
        switch (message.OpCode)
        {
            case WireCodec.OpMsg:
                var (flags, command) = WireCodec.ParseMsg(message.Body);
                var database = command.GetValue("$db", "admin").AsString;
                var reply = await _dispatcher.DispatchAsync(Context(connection, command, database, stop)).ConfigureAwait(false);
                // A moreToCome request (an unacknowledged write) must get no reply at all.
                return (flags & WireCodec.MoreToCome) != 0 ? null : WireCodec.EncodeMsg(requestId, message.RequestId, reply);
            case WireCodec.OpQuery:
                var (name, query) = WireCodec.ParseQuery(message.Body);
                var db = name.EndsWith(".$cmd", StringComparison.Ordinal) ? name[..^5] : name;
                var answer = await _dispatcher.DispatchAsync(Context(connection, query, db, stop)).ConfigureAwait(false);
                return WireCodec.EncodeReply(requestId, message.RequestId, answer);
            default:
                // OP_COMPRESSED never arrives because hello offers no compressor; anything else is not spoken.
                throw new InvalidDataException($"unsupported opcode {message.OpCode}");
        }
    }

    private CommandContext Context(ClientConnection connection, BsonDocument command, string database, CancellationToken stop) => new()
    {
        Command = command,
        Database = database,
        State = _state,
        Member = Index,
        ConnectionId = connection.Id,
        Connection = connection,
        Cancellation = stop,
    };

    /// <summary>One period of listening: from <see cref="Start"/> to <see cref="StopAsync"/>.</summary>
    private sealed class Run(TcpListener listener, IPEndPoint endPoint)
    {
        public TcpListener Listener { get; } = listener;

        public IPEndPoint EndPoint { get; } = endPoint;

        public CancellationTokenSource Stop { get; } = new();

        public Task AcceptLoop { get; set; } = Task.CompletedTask;
    }
}
