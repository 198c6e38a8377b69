using System.Diagnostics;
using System.Text;
using Archiver.Emulators.Kubernetes;

namespace Archiver.Kubernetes.Tests;

/// <summary>
/// The real kubectl, run as a process against an emulator: a kubeconfig (and kubectl's discovery cache) in a folder
/// of its own, so runs never share cached discovery. kubectl is on the PATH of these machines (shared/PLATFORM.md);
/// where it is not, a test fails saying so rather than being skipped.
/// </summary>
internal sealed class Kubectl : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _folder = Directory.CreateTempSubdirectory("kubectl-").FullName;
    private readonly string _kubeconfig;

    public Kubectl(KubernetesEmulator api, string? token = null)
    {
        _kubeconfig = Path.Combine(_folder, "kubeconfig");
        File.WriteAllText(_kubeconfig, api.Kubeconfig(token));
    }

    /// <summary>The repository's root, where <c>deploy/</c> is: the working folder of every run.</summary>
    public static string Repository { get; } = FindRepository();

    public static string Executable { get; } = FindOnPath("kubectl")
        ?? throw new InvalidOperationException("kubectl is not on the PATH: these tests drive the emulator with the real kubectl (shared/PLATFORM.md says it comes with these machines)");

    public Task<KubectlResult> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    /// <summary>Runs kubectl to its end with <paramref name="input"/> as its standard input (for <c>-f -</c>).</summary>
    public async Task<KubectlResult> RunWithInputAsync(string? input, params string[] args)
    {
        using var process = Start(args);
        if (input is not null) await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {string.Join(' ', args)} did not end within {Timeout.TotalSeconds} s");
        }

        return new KubectlResult(process.ExitCode, await output, await error);
    }

    /// <summary>Starts kubectl and leaves it running (a watch); the caller reads its output and kills it.</summary>
    public Process Start(params string[] args)
    {
        var start = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = Repository,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--kubeconfig", _kubeconfig, "--cache-dir", Path.Combine(_folder, "cache") }.Concat(args)) start.ArgumentList.Add(arg);
        start.Environment["HOME"] = _folder;
        start.Environment.Remove("KUBECONFIG");
        return Process.Start(start) ?? throw new InvalidOperationException($"{Executable} did not start");
    }

    /// <summary>Writes a file in this run's folder (a manifest to apply) and returns its path.</summary>
    public string WriteFile(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);

    private static string FindRepository()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Archiver.sln"))) return folder.FullName;
        }

        throw new InvalidOperationException($"no Archiver.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>How a kubectl run ended: its exit code and what it printed.</summary>
internal sealed record KubectlResult(int ExitCode, string Output, string Error)
{
    /// <summary>The result, when kubectl succeeded; otherwise fails with what it said.</summary>
    public KubectlResult Succeeded()
    {
        Assert.True(ExitCode == 0, $"kubectl exited {ExitCode}: {Error}{Output}");
        return this;
    }
}
