using System.Diagnostics;

namespace Archiver.Storage.Tests.Support;

/// <summary>
/// Finds the s3rver binary (ARCHIVER_S3RVER, else the repository's .tools folder) and installs it there with npm
/// if missing. A lock file keeps parallel test assemblies from installing twice at once.
/// </summary>
internal static class S3rverInstall
{
    public static async Task<string> EnsureAsync(string version)
    {
        var configured = Environment.GetEnvironmentVariable("ARCHIVER_S3RVER");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"ARCHIVER_S3RVER points at '{configured}', which does not exist.");
        }

        var tools = Path.Combine(RepositoryRoot.Find(), ".tools");
        var binary = Path.Combine(tools, "node_modules", ".bin", "s3rver");
        if (File.Exists(binary))
        {
            return binary;
        }

        Directory.CreateDirectory(tools);
        await using var installLock = await AcquireLockAsync(Path.Combine(tools, "s3rver-install.lock"));
        if (!File.Exists(binary))
        {
            await InstallAsync(tools, version);
        }

        return File.Exists(binary)
            ? binary
            : throw new InvalidOperationException($"npm reported success but '{binary}' is missing.");
    }

    private static async Task<FileStream> AcquireLockAsync(string path)
    {
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static async Task InstallAsync(string tools, string version)
    {
        var start = new ProcessStartInfo("npm")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "install", "--no-audit", "--no-fund", "--prefix", tools, $"s3rver@{version}" })
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("npm did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException(
                "s3rver is not installed and npm is not on PATH: install Node.js, or set ARCHIVER_S3RVER to an s3rver binary.", e);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"'npm install s3rver@{version}' into '{tools}' failed ({process.ExitCode}): {await error}{await output}");
            }
        }
    }
}
