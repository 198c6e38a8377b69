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
    private ServerProcess? _process;

    public Uri ServiceUri { get; private set; } = new("http://127.0.0.1");

    public async Task InitializeAsync()
    {
        var binary = await NpmServerInstall.EnsureAsync("azurite", Version, "azurite-blob", "ARCHIVER_AZURITE");
        var port = ServerProcess.FreePort();

        // --skipApiVersionCheck: the client may speak a newer service version than this Azurite knows; the calls it makes are old.
        _process = await ServerProcess.StartAsync(
            "Azurite",
            binary,
            ["--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--location", _data.Path, "--silent", "--skipApiVersionCheck"],
            port);
        ServiceUri = new Uri($"http://127.0.0.1:{port}/{Account}");
    }

    public Task DisposeAsync()
    {
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
}
