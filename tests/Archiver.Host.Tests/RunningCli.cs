using System.Text;
using Archiver.Host.Cli;

namespace Archiver.Host.Tests;

/// <summary>
/// The <c>archiver</c> command running in-process, whose printed lines can be waited for while it runs: a probe for
/// "it noticed" instead of a pause long enough for it to have. Output is recorded under a lock, since a command
/// prints from more than one task.
/// </summary>
internal sealed class RunningCli
{
    private readonly LockedWriter _output = new();
    private readonly LockedWriter _error = new();

    private RunningCli(CancellationToken cancellation, string[] args)
    {
        Completion = RunAsync(args, cancellation);
    }

    public Task<CliRun> Completion { get; }

    public static RunningCli Start(CancellationToken cancellation, params string[] args) => new(cancellation, args);

    /// <summary>Waits until a printed line equals <paramref name="line"/>; fails if the command ends or the token fires first.</summary>
    public async Task WaitForLineAsync(string line, CancellationToken cancellation)
    {
        while (!Lines().Contains(line))
        {
            if (Completion.IsCompleted)
            {
                throw new InvalidOperationException($"The command ended without printing '{line}': {await Completion}");
            }

            await Task.Delay(50, cancellation);
        }
    }

    public IReadOnlyList<string> Lines() => _output.Text().Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private async Task<CliRun> RunAsync(string[] args, CancellationToken cancellation)
    {
        await Task.Yield();
        var code = await ArchiverCli.RunAsync(args, _output, _error, cancellation);
        return new CliRun(code, _output.Text().Replace("\r", "", StringComparison.Ordinal), _error.Text());
    }

    private sealed class LockedWriter : TextWriter
    {
        private readonly StringBuilder _text = new();
        private readonly Lock _lock = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_lock) _text.Append(value);
        }

        public override void Write(string? value)
        {
            lock (_lock) _text.Append(value);
        }

        public override Task WriteLineAsync(string? value)
        {
            lock (_lock) _text.Append(value).Append(Environment.NewLine);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(string? value)
        {
            Write(value);
            return Task.CompletedTask;
        }

        public string Text()
        {
            lock (_lock) return _text.ToString();
        }
    }
}
