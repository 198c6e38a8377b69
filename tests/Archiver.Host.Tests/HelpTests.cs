using System.CommandLine;
using Archiver.Host.Cli;

namespace Archiver.Host.Tests;

/// <summary>Every command a user can run says what it does and shows an example in its --help.</summary>
public sealed class HelpTests
{
    public static TheoryData<string> Commands()
    {
        var data = new TheoryData<string>();
        foreach (var path in Leaves(ArchiverCli.Build(TextWriter.Null, TextWriter.Null), "")) data.Add(path);
        return data;
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_shows_an_example(string command)
    {
        var run = await CliRun.RunAsync([.. command.Split(' '), "--help"]);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Example", run.Output);
        Assert.Contains($"archiver {command}", run.Output);
    }

    [Fact]
    public async Task An_unknown_command_is_a_usage_error_that_points_at_help()
    {
        var run = await CliRun.RunAsync("bakup", "demo/mg-rs");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Run 'archiver --help' for usage.", run.Error);
    }

    private static IEnumerable<string> Leaves(Command command, string prefix)
    {
        foreach (var sub in command.Subcommands)
        {
            var path = (prefix + " " + sub.Name).Trim();
            if (sub.Subcommands.Count == 0) yield return path;
            else foreach (var leaf in Leaves(sub, path)) yield return leaf;
        }
    }
}
