using Archiver.Host.Node;

namespace Archiver.Host.Tests.Inspection;

/// <summary>A node with a token guards its inspection endpoint and status page like its API.</summary>
public sealed class InspectTokenTests : IAsyncLifetime
{
    private const string Token = "s3cret-for-inspection";
    private readonly string _folder = Directory.CreateTempSubdirectory("archiver-inspect-token-").FullName;
    private ArchiverNodeHost _node = null!;

    public async Task InitializeAsync() =>
        _node = await ArchiverNodeHost.StartAsync(new NodeSettings { DataFolder = _folder, HttpPort = 0, Token = Token });

    [Fact]
    public async Task Without_the_token_inspect_exits_4_and_with_it_succeeds()
    {
        var url = _node.Address.ToString();
        var refused = await CliRun.RunAsync("inspect", "members", "--node", url);
        Assert.Equal(4, refused.ExitCode);
        Assert.Contains("refused the request: this node requires a token", refused.Error, StringComparison.Ordinal);

        var allowed = await CliRun.RunAsync("inspect", "members", "--node", url, "--token", Token, "-o", "tsv");
        Assert.Equal(0, allowed.ExitCode);
        Assert.Single(allowed.OutputLines);

        using var http = new HttpClient { BaseAddress = _node.Address };
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.GetAsync("status")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.GetAsync("inspect/shards")).StatusCode);
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Left to the OS's temp cleanup.
        }
    }
}
