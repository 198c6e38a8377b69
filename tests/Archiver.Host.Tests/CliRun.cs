using Archiver.Host.Cli;

namespace Archiver.Host.Tests;

/// <summary>Runs the <c>archiver</c> command in-process and captures what it prints.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public string[] OutputLines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(CancellationToken.None, args);

    public static async Task<CliRun> RunAsync(CancellationToken cancellation, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await ArchiverCli.RunAsync(args, output, error, cancellation);
        return new CliRun(code, output.ToString().Replace("\r", "", StringComparison.Ordinal), error.ToString());
    }

    public override string ToString() => $"exit {ExitCode}\n--- out\n{Output}\n--- err\n{Error}";
}
