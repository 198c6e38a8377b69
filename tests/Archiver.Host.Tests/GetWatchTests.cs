using static Archiver.Host.Tests.DisasterRecoveryScenario;

namespace Archiver.Host.Tests;

/// <summary><c>archiver get -w</c>, as kubectl's: the list, then each object again as it changes, until interrupted.</summary>
public sealed class GetWatchTests() : ScenarioNodeTests("watch")
{
    [Fact]
    public async Task Watching_prints_a_database_when_it_appears_and_again_as_its_phase_changes_and_ends_when_interrupted()
    {
        using var interrupt = new CancellationTokenSource();
        var watching = CliRun.RunAsync(interrupt.Token, "get", "mongodb", "-n", Source.Namespace, "-w", "--node", Node.Address.ToString());
        await Task.Delay(GetCommandInterval() * 2);

        await Scenario.FirstDatabaseAsync();
        await Task.Delay(GetCommandInterval() * 3);
        await interrupt.CancelAsync();
        var run = await watching;

        Assert.True(run.ExitCode == 0, run.ToString());
        var rows = run.OutputLines.Where(l => l.Contains($" {Source.Name} ", StringComparison.Ordinal)).ToList();
        Assert.True(rows.Count >= 2, run.ToString());
        Assert.Contains("Archiving", rows[^1], StringComparison.Ordinal);
        // No header again for a change: only the rows.
        Assert.True(run.OutputLines.Count(l => l.Contains("NAMESPACE", StringComparison.Ordinal)) <= 1, run.ToString());
    }

    private static TimeSpan GetCommandInterval() => Cli.GetCommand.WatchInterval;
}
