using Akka.Actor;
using Akka.Configuration;
using Archiver.Host.Inspection;

namespace Archiver.Host.Tests.Inspection;

/// <summary>The membership snapshot of a node that has not joined any cluster yet.</summary>
public sealed class ClusterMembersTests : IAsyncLifetime
{
    // No seed nodes and no join: the state a node is in between starting and its first gossip.
    private readonly ActorSystem _system = ActorSystem.Create("archiver", ConfigurationFactory.ParseString("""
        akka.actor.provider = cluster
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.loglevel = WARNING
        """));

    [Fact]
    public void A_node_not_yet_joined_lists_itself_as_joining()
    {
        var snapshot = new ClusterMembers().Snapshot(_system);

        var self = Assert.Single(snapshot.Members);
        Assert.True(self.IsSelf);
        Assert.Equal("Joining", self.Status);
        Assert.False(self.IsLeader);
        Assert.Null(self.UpSince);
        Assert.Equal(snapshot.Self, self.Address);
        Assert.Null(snapshot.Leader);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _system.Terminate();
}
