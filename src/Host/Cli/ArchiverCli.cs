using System.CommandLine;

namespace Archiver.Host.Cli;

/// <summary>The <c>archiver</c> command line: every sub-command, with the same exit codes and output rules.</summary>
public static class ArchiverCli
{
    public static RootCommand Build(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("Archiver: continuous backup and point-in-time recovery for MongoDB on Kubernetes.");
        root.Add(ValidateCommand.Create(output, error));
        root.Add(CrdsCommand.Create(output, error));
        root.Add(DemoCommand.Create(output, error));
        root.Add(RunCommand.Create(output, error));
        root.Add(ApplyCommand.Create(output, error));
        root.Add(GetCommand.Create(output, error));
        root.Add(DescribeCommand.Create(output, error));
        root.Add(DeleteCommand.Create(output, error));
        root.Add(WindowsCommand.Create(output, error));
        root.Add(PlanCommand.Create(output, error));
        root.Add(BackupCommand.Create(output, error));
        root.Add(RestoreCommand.Create(output, error));
        root.Add(InspectCommand.Create(output, error));
        root.Add(SidecarCommand.Create(output, error));
        root.Add(VolumeSnapshotBackupCommand.Create(output, error));
        root.Add(EmulatorCommand.Create(output, error));
        return root;
    }

    /// <summary>Parses and runs; a command-line mistake exits with <see cref="ExitCodes.Usage"/> and says what was wrong.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        var parse = Build(output, error).Parse(args);
        var invocation = new InvocationConfiguration { Output = output, Error = error };
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
        {
            foreach (var problem in parse.Errors) await error.WriteLineAsync($"archiver: {problem.Message}");
            await error.WriteLineAsync("Run 'archiver --help' for usage.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(invocation, cancellation);
    }
}
