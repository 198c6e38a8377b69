using System.Net;
using System.Net.Sockets;
using Archiver.Emulators.MongoDb;
using Archiver.Emulators.MongoDb.Wire;
using MongoDB.Bson;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>
/// A retryable write is applied once, however its retries arrive: mongod checks a session out to one operation at a
/// time (src/mongo/db/session/session_catalog.h), so a retry sent on another connection while the first attempt still
/// runs (the driver gave up on the first connection) waits for it and answers with its result.
/// </summary>
[Trait("Target", "EmulatorOnly")]
public sealed class RetryableWriteTests
{
    [EmulatorOnlyFact]
    public async Task A_retry_sent_while_its_first_attempt_still_runs_gets_that_attempts_reply_and_writes_nothing_more()
    {
        await using var emulator = await MongoEmulator.StartAsync(new MongoEmulatorOptions { PeriodicNoopInterval = null });
        var port = int.Parse(emulator.Hosts[0].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        var lsid = new BsonDocument("id", new BsonBinaryData(Guid.NewGuid(), GuidRepresentation.Standard));
        BsonDocument Insert() => new()
        {
            { "insert", "c" },
            { "documents", new BsonArray { new BsonDocument("_id", 1), new BsonDocument("_id", 2) } },
            { "ordered", true },
            { "lsid", lsid },
            { "txnNumber", 7L },
            { "$db", "d" },
        };

        using var first = await ConnectAsync(port);
        using var second = await ConnectAsync(port);
        BsonDocument firstReply, secondReply;
        using (var hold = emulator.HoldCommands("insert"))
        {
            await first.GetStream().WriteAsync(WireCodec.EncodeMsg(2, 0, Insert()));
            await WaitUntilAsync(() => hold.Waiting == 1);
            var firstAnswer = ReplyAsync(first);

            // The retry, on another connection: it must not run beside the attempt still running.
            await second.GetStream().WriteAsync(WireCodec.EncodeMsg(3, 0, Insert()));
            var secondAnswer = ReplyAsync(second);
            await Task.Delay(200);
            Assert.False(secondAnswer.IsCompleted, "the retry was answered while its first attempt still ran");
            hold.Dispose();
            (firstReply, secondReply) = (await firstAnswer, await secondAnswer);
        }

        Assert.Equal((1.0, 2), (firstReply["ok"].ToDouble(), firstReply["n"].ToInt32()));
        Assert.Equal((1.0, 2), (secondReply["ok"].ToDouble(), secondReply["n"].ToInt32()));
        Assert.False(secondReply.Contains("writeErrors"), secondReply.ToJson());
        Assert.Equal(2, emulator.ReadOplog().Count(e => e["op"] == "i" && e["ns"] == "d.c"));
    }

    private static async Task<TcpClient> ConnectAsync(int port)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port);
        return client;
    }

    private static async Task<BsonDocument> ReplyAsync(TcpClient client)
    {
        var message = await WireCodec.ReadAsync(client.GetStream(), CancellationToken.None) ?? throw new InvalidOperationException("the connection closed");
        return WireCodec.ParseMsg(message.Body).Command;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(10);
        }
    }
}
