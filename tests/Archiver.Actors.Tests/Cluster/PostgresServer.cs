using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Archiver.Actors.Tests.Cluster;

/// <summary>
/// A throwaway PostgreSQL 15 server from the machine's Debian packages, on 127.0.0.1 and a free port, its data
/// and socket in a temp folder (see ../shared/PLATFORM.md, "Servers for tests"). Missing binaries are installed,
/// not skipped: a test that needs a journal must run on a fresh machine without a manual step. Kept free of xUnit
/// so the benchmarks link this file too.
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    // Test runs and benchmarks on one machine may start at once; one apt-get at a time, the rest wait for it.
    private static readonly string InstallLock = Path.Combine(Path.GetTempPath(), "archiver-postgresql-install.lock");
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(10);
    private readonly string _bin;
    private readonly string _folder;
    private int _databases;

    private PostgresServer(string bin, string folder, int port)
    {
        _bin = bin;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public static async Task<PostgresServer> StartAsync(CancellationToken cancellation = default)
    {
        var bin = await FindOrInstallBinariesAsync(cancellation);
        var folder = Directory.CreateTempSubdirectory("archiver-pg-").FullName;
        try
        {
            // initdb refuses to run as root, so the server runs as postgres, on a folder postgres owns.
            await RunAsync("chown", ["-R", "postgres:postgres", folder], folder, TimeSpan.FromSeconds(30), cancellation);
            var data = Path.Combine(folder, "data");
            await RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"], folder, TimeSpan.FromMinutes(2), cancellation);
            var port = FreePorts.Take(1)[0];
            var settings = string.Create(CultureInfo.InvariantCulture, $"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off");
            await RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, "pg_ctl"), "-D", data, "-l", Path.Combine(folder, "log"), "-o", settings, "-w", "-t", "60", "start"], folder, TimeSpan.FromSeconds(90), cancellation);
            return new PostgresServer(bin, folder, port);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var log = Path.Combine(folder, "log");
            var detail = File.Exists(log) ? $"\nserver log:\n{await File.ReadAllTextAsync(log, cancellation)}" : "";
            TryDelete(folder);
            throw new InvalidOperationException($"PostgreSQL could not be started: {e.Message}{detail}", e);
        }
    }

    /// <summary>A new, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "archiver", CancellationToken cancellation = default)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}_{Interlocked.Increment(ref _databases)}").ToLowerInvariant();
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await connection.OpenAsync(cancellation);
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync(cancellation);
        }

        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(_folder, "data"), "-m", "fast", "-w", "stop"], _folder, TimeSpan.FromSeconds(60), CancellationToken.None);
        }
        finally
        {
            TryDelete(_folder);
        }
    }

    private string ConnectionString(string database) =>
        string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Timeout=15");

    private static async Task<string> FindOrInstallBinariesAsync(CancellationToken cancellation)
    {
        if (await FindBinariesAsync(cancellation) is { } found) return found;
        if (!string.Equals(Environment.UserName, "root", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("PostgreSQL 15 is not installed and only root can install it: run `apt-get install -y postgresql` (Debian package postgresql-15).");
        }

        await using var installing = await LockAsync(cancellation);
        // Whoever held the lock before us may have installed it meanwhile.
        if (await FindBinariesAsync(cancellation) is { } installed) return installed;
        var apt = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
        await RunAsync("apt-get", ["update", "-qq", "-o", "DPkg::Lock::Timeout=300"], null, InstallTimeout, cancellation, apt);
        // Wait for an apt or dpkg run of someone else's rather than fail on its lock.
        await RunAsync("apt-get", ["install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=300", "postgresql"], null, InstallTimeout, cancellation, apt);
        return await FindBinariesAsync(cancellation)
            ?? throw new InvalidOperationException("`apt-get install postgresql` finished but `dpkg -L postgresql-15` lists no initdb: this machine's Debian does not ship PostgreSQL 15.");
    }

    /// <summary>PGBIN: the folder of the postgresql-15 package's initdb, or null when the package is missing.</summary>
    private static async Task<string?> FindBinariesAsync(CancellationToken cancellation)
    {
        var (exit, output) = await RunCapturedAsync("dpkg", ["-L", "postgresql-15"], null, TimeSpan.FromSeconds(30), cancellation, null);
        if (exit != 0) return null;
        var initdb = output.Split('\n', StringSplitOptions.TrimEntries).FirstOrDefault(line => line.EndsWith("/bin/initdb", StringComparison.Ordinal));
        return initdb is not null && File.Exists(initdb) ? Path.GetDirectoryName(initdb) : null;
    }

    private static async Task<FileStream> LockAsync(CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + InstallTimeout;
        while (true)
        {
            try
            {
                // The file stays behind: deleting it on release would let two waiters lock two different files.
                return new FileStream(InstallLock, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500, cancellation);
            }
        }
    }

    private static async Task RunAsync(string file, string[] arguments, string? workingDirectory, TimeSpan timeout, CancellationToken cancellation, IReadOnlyDictionary<string, string>? environment = null)
    {
        var (exit, output) = await RunCapturedAsync(file, arguments, workingDirectory, timeout, cancellation, environment);
        if (exit != 0) throw new InvalidOperationException($"`{file} {string.Join(' ', arguments)}` exited with {exit}:\n{output}");
    }

    private static async Task<(int Exit, string Output)> RunCapturedAsync(string file, string[] arguments, string? workingDirectory, TimeSpan timeout, CancellationToken cancellation, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // The postgres user cannot enter the test's own folder; give it one it owns.
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellation);
        var stderr = process.StandardError.ReadToEndAsync(cancellation);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{file} {string.Join(' ', arguments)}` did not finish within {timeout}");
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder is harmless; failing a finished test over it is not.
        }
    }
}
