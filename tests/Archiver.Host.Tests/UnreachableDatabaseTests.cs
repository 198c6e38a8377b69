using Archiver.Messages.Resources;
using static Archiver.Host.Tests.DisasterRecoveryScenario;

namespace Archiver.Host.Tests;

/// <summary>
/// An archived database whose replica set goes down, on the embedded node: what its owner reads in the status and in
/// <c>archiver get -o wide</c> is the cause in one line and a lag that is unknown, not a driver's two kilobytes and a 0s
/// that claims the archive is caught up.
/// </summary>
public sealed class UnreachableDatabaseTests() : ScenarioNodeTests("down")
{
    [Fact]
    public async Task A_replica_set_gone_down_shows_its_cause_in_one_line_since_when_and_an_unknown_lag()
    {
        var (client, _) = await Scenario.FirstDatabaseAsync();
        await WriteAsync(client, "seed", 20);
        await Scenario.WaitForAsync(Source, db => db.Status?.Archiver?.Lag is not null);
        var replicaSet = Scenario.ReplicaSet("rs0");
        var port = replicaSet.MemberEndPoint(0)!.Port;

        await replicaSet.StopMemberAsync(0);
        var down = await Scenario.WaitForAsync(Source, db => Archiving(db)?.Reason == "SourceUnavailable");

        var condition = Archiving(down)!;
        Assert.Equal(ConditionStatus.False, condition.Status);
        Assert.Matches($@"^cannot reach replica set rs0 at 127\.0\.0\.1:{port}: (connection refused|the server closed the connection), since \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", condition.Message);
        Assert.Null(down.Status!.Archiver!.Lag);
        Assert.Equal(DatabaseArchiverPhase.Archiving, down.Status.Archiver.Phase);

        var wide = (await Scenario.CliOkAsync("get", "mongodb", Source.ToString(), "-o", "wide")).Output;
        var header = wide.Split('\n')[0];
        var row = wide.Split('\n').First(l => l.Contains(Source.Name, StringComparison.Ordinal));
        Assert.Equal("unknown", row[header.IndexOf("LAG", StringComparison.Ordinal)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]);
    }

    private static Condition? Archiving(Messages.Resources.MongoDB db) => db.Status?.Archiver?.Conditions?.FirstOrDefault(c => c.Type == DatabaseConditions.ArchivingType);
}
