using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Archiver.Storage.Backends;

namespace Archiver.Storage.Tests.Support;

/// <summary>
/// Starts one Azurite (Microsoft's own Azure Storage server, npm <c>azurite</c>), blob service only, on a free
/// 127.0.0.1 port for the whole test run, installing it first if this machine has never had it. A missing server
/// fails the tests; it never skips them. Azurite's one account is <c>devstoreaccount1</c> with its published key.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public const string Account = "devstoreaccount1";

    // Azurite's well-known development key (https://learn.microsoft.com/azure/storage/common/storage-use-azurite).
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private const string Version = "3.37.0";
    private readonly TempFolder _data = new();
    private Process? _process;

    public Uri ServiceUri { get; private set; } = new("http://127.0.0.1");

    public async Task InitializeAsync()
    {
        var binary = await NpmServerInstall.EnsureAsync("azurite", Version, "azurite-blob", "ARCHIVER_AZURITE");
        var port = FreePort();
        var start = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // --skipApiVersionCheck: the client may speak a newer service version than this Azurite knows; the calls it makes are old.
        foreach (var argument in new[] { "--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--location", _data.Path, "--silent", "--skipApiVersionCheck" })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{binary}'.");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        ServiceUri = new Uri($"http://127.0.0.1:{port}/{Account}");
        await WaitUntilListeningAsync(port);
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        _data.Dispose();
        return Task.CompletedTask;
    }

    public AzureBlobSettings Settings(string container, string prefix = "") => new()
    {
        Account = Account,
        AccountKey = AccountKey,
        Container = container,
        Prefix = prefix,
        ServiceUri = ServiceUri,
        Retry = new RetrySettings { MaxRetries = 4, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(500) },
    };

    /// <summary>A new empty container, so tests never see each other's objects.</summary>
    public async Task<string> CreateContainerAsync()
    {
        var container = "t" + Guid.NewGuid().ToString("N")[..20];
        await new AzureBlobStore(Settings(container)).CreateContainerIfMissingAsync();
        return container;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitUntilListeningAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited at start with code {_process.ExitCode}.");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException($"Azurite did not listen on port {port} within 30 s.");
    }
}
