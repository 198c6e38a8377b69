using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Archiver.Host.Tests;

/// <summary>
/// A real <c>archiver run</c> node in a child process, so a test can kill it as a machine or an OOM killer would
/// (SIGKILL: no shutdown code runs), which an in-process node cannot simulate. The child is always killed by
/// <see cref="DisposeAsync"/>, and by the test process's exit if a test forgets to dispose it.
/// </summary>
internal sealed partial class NodeProcess : IAsyncDisposable
{
    /// <summary>A cold start (runtime, Akka, SQLite journal, Kestrel) takes a few seconds on 2 cores; this is ample.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private NodeProcess(Process process, string dataFolder)
    {
        _process = process;
        DataFolder = dataFolder;
    }

    public string DataFolder { get; }

    /// <summary>The node's API, as the node printed it (<c>archiver node on http://127.0.0.1:PORT/</c>).</summary>
    public Uri Address { get; private set; } = null!;

    public bool HasExited => _process.HasExited;

    /// <summary>What the child printed so far (stdout and stderr), for a failing test's message.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a node on <paramref name="dataFolder"/> with free ports, and returns once its API answers.</summary>
    public static Task<NodeProcess> StartAsync(string dataFolder, CancellationToken cancellation = default) => StartAsync(dataFolder, [], cancellation);

    /// <summary>As <see cref="StartAsync(string, CancellationToken)"/>, with more <c>archiver run</c> options.</summary>
    public static async Task<NodeProcess> StartAsync(string dataFolder, IReadOnlyList<string> options, CancellationToken cancellation = default)
    {
        // The node is run from this test's output folder, where the build copies the archiver project's
        // archiver.dll with its runtimeconfig and deps files (the test project references it), through the same
        // dotnet host that runs the tests: the build under test, with no dependence on PATH or on where the runtime
        // is installed (the archiver apphost would need DOTNET_ROOT for a runtime outside the default places).
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = dataFolder,
        };
        foreach (var arg in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "archiver.dll"), "run", "--data", dataFolder, "--http-port", "0", "--port", "0" }.Concat(options))
        {
            start.ArgumentList.Add(arg);
        }

        // A token in the test's environment would make the child require one that the CLI calls do not send.
        start.Environment.Remove("ARCHIVER_TOKEN");
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var node = new NodeProcess(process, dataFolder);
        AppDomain.CurrentDomain.ProcessExit += node.KillOnExit;
        var address = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is null) return;
            node.Keep(line.Data);
            if (Listening().Match(line.Data) is { Success: true } match) address.TrySetResult(new Uri(match.Groups["address"].Value));
        };
        process.ErrorDataReceived += (_, line) =>
        {
            if (line.Data is not null) node.Keep(line.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(StartTimeout);
        // Whichever comes first: the address, the child's exit (a bad flag, a locked folder) or the timeout.
        var ended = process.WaitForExitAsync(timeout.Token);
        if (await Task.WhenAny(address.Task, ended) == address.Task)
        {
            node.Address = await address.Task;
            return node;
        }

        var failure = ended.IsCanceled ? $"did not serve within {StartTimeout.TotalSeconds} s" : $"exited ({process.ExitCode}) before it served";
        await node.DisposeAsync();
        cancellation.ThrowIfCancellationRequested();
        throw new InvalidOperationException($"the node {failure}:\n{node.Output}");
    }

    /// <summary>SIGKILL, at once, and waits until the process is gone: no shutdown hook, flush or save runs.</summary>
    public async Task KillAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        await KillAsync();
        _process.Dispose();
    }

    internal static string DotnetHost()
    {
        // The test host runs under the dotnet muxer when `dotnet test` starts it; otherwise the one on PATH.
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    private void Keep(string line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private void KillOnExit(object? sender, EventArgs e) => Kill();

    private void Kill()
    {
        try
        {
            // On Linux and macOS, Kill sends SIGKILL (the docs of Process.Kill).
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It had already exited.
        }
    }

    /// <summary>What <c>archiver run</c> prints once the node serves (src/Host/Cli/RunCommand.cs).</summary>
    [GeneratedRegex(@"^archiver node on (?<address>\S+) ")]
    private static partial Regex Listening();
}
