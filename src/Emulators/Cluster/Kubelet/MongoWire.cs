using System.Net;
using System.Net.Sockets;
using Archiver.Emulators.MongoDb.Wire;
using MongoDB.Bson;

namespace Archiver.Emulators.Cluster.Kubelet;

/// <summary>
/// One command over the MongoDB wire protocol (OP_MSG) to an address, on a fresh connection: what KubeDB's probes
/// (<c>mongosh … --eval "db.adminCommand('ping').ok"</c>) and its health checker ask a member, asked for real.
/// </summary>
internal static class MongoWire
{
    public static async Task<BsonDocument?> RunAsync(IPEndPoint endPoint, BsonDocument command, TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(endPoint, limit.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            command["$db"] = "admin";
            await stream.WriteAsync(WireCodec.EncodeMsg(1, 0, command), limit.Token).ConfigureAwait(false);
            var reply = await WireCodec.ReadAsync(stream, limit.Token).ConfigureAwait(false);
            return reply is null ? null : WireCodec.ParseMsg(reply.Body).Command;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>Whether <c>ping</c> answers <c>ok: 1</c> (it needs no authentication, as on mongod).</summary>
    public static async Task<bool> PingAsync(IPEndPoint endPoint, TimeSpan timeout) =>
        await RunAsync(endPoint, new BsonDocument("ping", 1), timeout).ConfigureAwait(false) is { } reply && reply.GetValue("ok", 0).ToDouble() == 1.0;
}
