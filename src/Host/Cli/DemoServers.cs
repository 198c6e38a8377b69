using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Archiver.Host.Cli;

/// <summary>
/// The real servers <c>archiver demo --cluster</c> starts on this machine beside the cluster stand-in, as a cluster
/// would have them beside it: PostgreSQL (the archiver nodes' journal) and s3rver (an S3 server, the backups'
/// storage). Neither is installed here: a missing one fails the demo saying how to install it (<c>.ci/run</c>
/// installs both).
/// </summary>
internal sealed class DemoServers : IAsyncDisposable
{
    private readonly List<Func<Task>> _stops = [];

    public required string PostgresConnection { get; init; }

    public required Uri S3Endpoint { get; init; }

    public static async Task<DemoServers> StartAsync(string folder, CancellationToken cancellation)
    {
        var stops = new List<Func<Task>>();
        try
        {
            // A folder of its own the postgres user can reach: the data folder may be private to root.
            var postgresFolder = Directory.CreateTempSubdirectory("archiver-demo-postgres-").FullName;
            stops.Add(() =>
            {
                Directory.Delete(postgresFolder, recursive: true);
                return Task.CompletedTask;
            });
            var postgres = await StartPostgresAsync(postgresFolder, stops, cancellation);
            var s3 = await StartS3rverAsync(Path.Combine(folder, "s3rver"), stops, cancellation);
            var servers = new DemoServers { PostgresConnection = postgres, S3Endpoint = s3 };
            servers._stops.AddRange(stops);
            return servers;
        }
        catch
        {
            foreach (var stop in Enumerable.Reverse(stops)) await stop();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var stop in Enumerable.Reverse(_stops))
        {
            try
            {
                await stop();
            }
            catch (Exception e) when (e is InvalidOperationException or IOException)
            {
                // Best effort: a temporary folder and a process of this run.
            }
        }
    }

    /// <summary>PostgreSQL from the machine's packages (Debian's <c>postgresql</c>), as the <c>postgres</c> user (initdb refuses root).</summary>
    private static async Task<string> StartPostgresAsync(string folder, List<Func<Task>> stops, CancellationToken cancellation)
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        if (bin is null) throw new DemoServerMissing("PostgreSQL is not installed (the archiver nodes journal to it): apt-get install -y postgresql");
        Directory.CreateDirectory(folder);
        await RunAsync("chown", ["-R", "postgres:postgres", folder], cancellation);
        var data = Path.Combine(folder, "data");
        await RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"], cancellation);
        var port = FreePort();
        var settings = string.Create(CultureInfo.InvariantCulture, $"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off");
        await RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, "pg_ctl"), "-D", data, "-l", Path.Combine(folder, "log"), "-o", settings, "-w", "-t", "60", "start"], cancellation);
        stops.Add(async () =>
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"], CancellationToken.None);
        });
        await using (var connection = new Npgsql.NpgsqlConnection(Connection(port, "postgres")))
        {
            await connection.OpenAsync(cancellation);
            await using var create = new Npgsql.NpgsqlCommand("CREATE DATABASE archiver", connection);
            await create.ExecuteNonQueryAsync(cancellation);
        }

        return Connection(port, "archiver");
    }

    private static string Connection(int port, string database) =>
        string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={port};Username=postgres;Database={database};Timeout=15");

    /// <summary>s3rver (npm): <c>$ARCHIVER_S3RVER</c>, the repository's <c>.tools</c> (where <c>.ci/run</c> installs it), or the PATH.</summary>
    private static async Task<Uri> StartS3rverAsync(string folder, List<Func<Task>> stops, CancellationToken cancellation)
    {
        var binary = FindS3rver() ?? throw new DemoServerMissing("s3rver is not installed (the demo's S3 storage): npm install --prefix .tools s3rver@3.7.1, or set ARCHIVER_S3RVER");
        Directory.CreateDirectory(folder);
        var port = FreePort();
        // s3rver encrypts listing continuation tokens with DES, which Node 17+ offers only through the legacy provider.
        await StartServerAsync(
            "s3rver",
            binary,
            ["-d", folder, "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "--silent", "--configure-bucket", "archiver-demo"],
            port,
            new Dictionary<string, string> { ["NODE_OPTIONS"] = "--openssl-legacy-provider" },
            stops,
            cancellation);
        return new Uri($"http://127.0.0.1:{port}");
    }

    /// <summary>Azurite's one account and its published key (learn.microsoft.com: "Use the Azurite emulator", well-known storage account).</summary>
    public const string AzuriteAccount = "devstoreaccount1";

    public const string AzuriteKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>
    /// Azurite's blob service (npm <c>azurite</c>, Microsoft's own Azure Storage server) on a free port, its data in
    /// <paramref name="folder"/>; its endpoint is <c>http://127.0.0.1:PORT/devstoreaccount1</c>. Stopped by what
    /// <paramref name="stops"/> is given.
    /// </summary>
    public static async Task<Uri> StartAzuriteAsync(string folder, List<Func<Task>> stops, CancellationToken cancellation)
    {
        var binary = FindTool("ARCHIVER_AZURITE", "azurite-blob")
            ?? throw new DemoServerMissing("Azurite is not installed (the demo's Azure storage): npm install --prefix .tools azurite@3.37.0, or set ARCHIVER_AZURITE");
        Directory.CreateDirectory(folder);
        var port = FreePort();
        await StartServerAsync(
            "Azurite",
            binary,
            ["--blobHost", "127.0.0.1", "--blobPort", port.ToString(CultureInfo.InvariantCulture), "--location", folder, "--silent", "--skipApiVersionCheck"],
            port,
            null,
            stops,
            cancellation);
        return new Uri($"http://127.0.0.1:{port}/{AzuriteAccount}");
    }

    /// <summary>Starts a server process, killed by what <paramref name="stops"/> is given, and waits until it takes connections on <paramref name="port"/>.</summary>
    private static async Task StartServerAsync(string name, string binary, string[] arguments, int port, IReadOnlyDictionary<string, string>? environment, List<Func<Task>> stops, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (variable, value) in environment ?? new Dictionary<string, string>()) start.Environment[variable] = value;
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{binary} did not start");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        stops.Add(() =>
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.Dispose();
            return Task.CompletedTask;
        });
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"{name} exited at start with code {process.ExitCode}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cancellation);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, cancellation);
            }
        }
    }

    /// <summary>A Node tool: the variable's path, else the repository's <c>.tools</c> (where <c>.ci/run</c> installs it), else the PATH.</summary>
    private static string? FindTool(string variable, string name)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } configured) return File.Exists(configured) ? configured : null;
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, ".tools", "node_modules", ".bin", name);
            if (File.Exists(candidate)) return candidate;
        }

        return CommandOnPath(name);
    }

    private static string? FindS3rver() => FindTool("ARCHIVER_S3RVER", "s3rver");

    public static string? CommandOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(f => Path.Combine(f, name)).FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string[] arguments, CancellationToken cancellation)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellation);
        var error = process.StandardError.ReadToEndAsync(cancellation);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0) throw new InvalidOperationException($"`{file} {string.Join(' ', arguments)}` exited {process.ExitCode}: {await output}{await error}");
    }
}

/// <summary>A server the demo needs is not on this machine; the message says how to install it.</summary>
internal sealed class DemoServerMissing(string message) : Exception(message);
