using System.Net;
using System.Net.Sockets;
using Archiver.Mongo.Connections;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Connections;
using MongoDB.Driver.Core.Servers;
using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>What the driver throws, said in one line: the real driver's exceptions, against a port nobody listens on.</summary>
public sealed class MongoFailureTests
{
    [Fact]
    public async Task A_server_selection_timeout_reads_as_the_replica_set_where_it_was_looked_for_and_why()
    {
        var port = ClosedPort();
        var client = TestClients.Create($"mongodb://127.0.0.1:{port}/?replicaSet=rs0", s => s.ServerSelectionTimeout = TimeSpan.FromSeconds(1));
        try
        {
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => client.GetDatabase("admin").RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1)));
            // What the driver says: its whole view of the cluster, with a stack trace per member.
            Assert.True(failure.Message.Length > 500, failure.Message);

            var line = MongoFailure.Describe(failure, client.Cluster.Description, "rs0");

            Assert.Equal($"cannot reach replica set rs0 at 127.0.0.1:{port}: connection refused", line);
            Assert.True(MongoFailure.IsUnreachable(failure));
        }
        finally
        {
            TestClients.Dispose(client);
        }
    }

    [Fact]
    public void Without_the_clients_view_a_failure_is_its_innermost_cause_first_line_and_never_longer_than_a_line()
    {
        var nested = new MongoConnectionException(new ConnectionId(new ServerId(new ClusterId(), new DnsEndPoint("mg-rs.demo.svc", 27017))), "An exception occurred while opening a connection to the server.", new SocketException((int)SocketError.HostNotFound));
        var described = MongoFailure.Describe(nested);
        Assert.StartsWith("cannot reach MongoDB: ", described);
        Assert.DoesNotContain('\n', described);

        var huge = new InvalidOperationException(new string('x', 5000) + "\n   at Some.Frame()");
        var line = MongoFailure.Describe(huge);
        Assert.True(line.Length <= 1000, $"{line.Length} characters");
        Assert.DoesNotContain("Some.Frame", line);
        Assert.False(MongoFailure.IsUnreachable(huge));

        // A refusal of ours says what to do, at whatever length it takes on one line.
        var refusal = new InvalidOperationException("'db/x' already holds the history of database u1; refusing to archive database u2 into it. " + new string('y', 400));
        Assert.Equal(refusal.Message, MongoFailure.Describe(refusal));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
