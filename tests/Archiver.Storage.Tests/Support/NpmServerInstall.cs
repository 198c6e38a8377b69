using System.Diagnostics;

namespace Archiver.Storage.Tests.Support;

/// <summary>
/// Finds a test server that npm distributes (s3rver, Azurite): the binary an environment variable names, else the one
/// in the repository's .tools folder, installed there with npm if missing. A lock file keeps parallel test assemblies
/// from installing twice at once.
/// </summary>
internal static class NpmServerInstall
{
    /// <param name="package">The npm package, e.g. <c>s3rver</c>.</param>
    /// <param name="binaryName">Its binary in <c>node_modules/.bin</c>.</param>
    /// <param name="variable">The environment variable that may name the binary instead (what .ci/run sets).</param>
    public static async Task<string> EnsureAsync(string package, string version, string binaryName, string variable)
    {
        var configured = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{variable} points at '{configured}', which does not exist.");
        }

        var tools = Path.Combine(RepositoryRoot.Find(), ".tools");
        var binary = Path.Combine(tools, "node_modules", ".bin", binaryName);
        if (File.Exists(binary))
        {
            return binary;
        }

        Directory.CreateDirectory(tools);
        await using var installLock = await AcquireLockAsync(Path.Combine(tools, $"{package}-install.lock"));
        if (!File.Exists(binary))
        {
            await InstallAsync(tools, package, version, variable);
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

    private static async Task InstallAsync(string tools, string package, string version, string variable)
    {
        var start = new ProcessStartInfo("npm")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "install", "--no-audit", "--no-fund", "--prefix", tools, $"{package}@{version}" })
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
                $"{package} is not installed and npm is not on PATH: install Node.js, or set {variable} to its binary.", e);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"'npm install {package}@{version}' into '{tools}' failed ({process.ExitCode}): {await error}{await output}");
            }
        }
    }
}
