using Archiver.Host.Node;

namespace Archiver.Host.Tests;

/// <summary>A first seed restarted while its peers run joins them; on the first start, alone, it forms the cluster.</summary>
public sealed class SeedNodeOrderTests
{
    private static readonly string[] Seeds =
    [
        "akka.tcp://archiver@archiver-0.archiver.archiver.svc.cluster.local:4053",
        "akka.tcp://archiver@archiver-1.archiver.archiver.svc.cluster.local:4053",
    ];

    [Fact]
    public void The_first_seed_restarted_while_a_peer_runs_leaves_itself_out()
    {
        var chosen = SeedNodeOrder.For(Seeds, "archiver-0.archiver.archiver.svc.cluster.local", host => host == "archiver-1.archiver.archiver.svc.cluster.local");
        Assert.Equal([Seeds[1]], chosen);
    }

    [Fact]
    public void The_first_seed_alone_keeps_itself_first_and_so_forms_the_cluster()
    {
        Assert.Equal(Seeds, SeedNodeOrder.For(Seeds, "archiver-0.archiver.archiver.svc.cluster.local", _ => false));
    }

    [Theory]
    [InlineData("archiver-1.archiver.archiver.svc.cluster.local")]
    [InlineData("archiver-2.archiver.archiver.svc.cluster.local")]
    [InlineData(null)]
    public void Any_other_node_keeps_the_seeds_as_given(string? self)
    {
        Assert.Equal(Seeds, SeedNodeOrder.For(Seeds, self, _ => true));
    }
}
