namespace Archiver.Host.Tests.Inspection;

/// <summary>
/// Headless Chromium for the status page tests, installed on demand (Debian's <c>chromium</c> package) as the
/// PostgreSQL and s3rver fixtures install theirs: the README's test command must pass on a fresh machine with no step
/// done by hand, not only under .ci/run. Only root can install; anyone else is told the command.
/// </summary>
internal static class ChromiumInstall
{
    private static readonly string[] Names = ["chromium", "chromium-browser", "google-chrome"];
    private static readonly SemaphoreSlim Once = new(1, 1);

    // Test runs on one machine may start at once: one apt-get at a time, the others wait for it (and find it installed).
    private static readonly string InstallLock = Path.Combine(Path.GetTempPath(), "archiver-chromium-install.lock");

    public static async Task<string> FindOrInstallAsync()
    {
        if (ProcessRun.Which(Names) is { } found) return found;
        if (!string.Equals(Environment.UserName, "root", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("headless Chromium is needed for the status page tests, is not on the PATH, and only root can install it: apt-get install -y chromium");
        }

        await Once.WaitAsync();
        try
        {
            await using var installing = await LockAsync();
            if (ProcessRun.Which(Names) is { } installed) return installed;
            var apt = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
            foreach (var step in new[] { new[] { "update", "-qq", "-o", "DPkg::Lock::Timeout=300" }, ["install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=300", "chromium"] })
            {
                var run = await ProcessRun.RunAsync("apt-get", step, apt, TimeSpan.FromMinutes(10));
                if (run.ExitCode != 0) throw new InvalidOperationException($"apt-get {string.Join(' ', step)} failed ({run.ExitCode}): {run.Error}");
            }

            return ProcessRun.Which(Names) ?? throw new InvalidOperationException("`apt-get install chromium` finished but no chromium is on the PATH");
        }
        finally
        {
            Once.Release();
        }
    }

    private static async Task<FileStream> LockAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        while (true)
        {
            try
            {
                // The file stays behind: deleting it on release would let two waiters lock two different files.
                return new FileStream(InstallLock, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }
}
