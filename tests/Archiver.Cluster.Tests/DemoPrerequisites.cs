using System.Diagnostics;

namespace Archiver.Cluster.Tests;

/// <summary>
/// What <c>archiver demo --cluster</c> needs beside the stand-in and does not install itself: s3rver (npm, into the
/// repository's <c>.tools</c>, where the demo and the storage tests find it) and PostgreSQL (Debian's package).
/// <c>.ci/run</c> installs both up front; this makes <c>dotnet test Archiver.sln</c> work alone on a fresh machine,
/// whichever test assembly runs first. A failed install fails the test; it never skips it.
/// </summary>
internal static class DemoPrerequisites
{
    private static readonly SemaphoreSlim Once = new(1, 1);

    public static async Task EnsureAsync()
    {
        await Once.WaitAsync();
        try
        {
            var root = Root();
            var s3rver = Path.Combine(root, ".tools", "node_modules", ".bin", "s3rver");
            if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ARCHIVER_S3RVER")) && !File.Exists(s3rver))
            {
                if (!OnPath("npm")) await RunAsync("apt-get", "update -qq", "install -y -qq nodejs npm");
                await RunAsync("npm", $"install --silent --no-audit --no-fund --prefix {Path.Combine(root, ".tools")} s3rver@3.7.1");
            }

            if (!Directory.Exists("/usr/lib/postgresql") || !Directory.EnumerateFiles("/usr/lib/postgresql", "initdb", SearchOption.AllDirectories).Any())
            {
                await RunAsync("apt-get", "update -qq -o DPkg::Lock::Timeout=300", "install -y -qq -o DPkg::Lock::Timeout=300 postgresql");
            }
        }
        finally
        {
            Once.Release();
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(folder => File.Exists(Path.Combine(folder, tool)));

    private static string Root()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Archiver.sln"))) return folder.FullName;
        }

        throw new InvalidOperationException("the repository root (Archiver.sln) is not above the test's folder");
    }

    /// <summary>Runs the tool once per argument line, in order, each to its end.</summary>
    private static async Task RunAsync(string tool, params string[] argumentLines)
    {
        foreach (var arguments in argumentLines)
        {
            var start = new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0) throw new InvalidOperationException($"`{tool} {arguments}` exited {process.ExitCode}: {await output}{await error}");
        }
    }
}
