namespace Archiver.Host.Tests;

/// <summary><c>archiver demo --storage azure</c>, on Azurite (Microsoft's Azure Storage server, installed by .ci/run).</summary>
[Trait("Category", "E2E")]
public sealed class DemoAzureTests
{
    [Fact]
    public async Task The_demo_keeps_its_backups_in_an_azure_container_when_asked_and_restores_from_there()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var run = await RunningCli.Start(cancel.Token, "demo", "--storage", "azure", "--documents", "300").Completion;

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("verified: ", run.OutputLines[^1]);
        Assert.Contains("backups in Azure container archiver-demo", run.OutputLines[^1]);
        Assert.Contains(run.OutputLines, l => l.Contains("Azurite at http://127.0.0.1:", StringComparison.Ordinal));
    }
}
