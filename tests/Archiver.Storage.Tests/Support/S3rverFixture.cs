using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Archiver.Storage.Backends;

namespace Archiver.Storage.Tests.Support;

/// <summary>
/// Starts one s3rver on a free 127.0.0.1 port for the whole test run, installing it first if this machine has
/// never had it, so <c>dotnet test</c> needs no manual step. A missing server fails the tests; it never skips them.
/// </summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    private const string Version = "3.7.1";
    private readonly TempFolder _data = new();
    private Process? _process;

    public Uri ServiceUrl { get; private set; } = new("http://127.0.0.1");

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        var binary = await NpmServerInstall.EnsureAsync("s3rver", Version, "s3rver", "ARCHIVER_S3RVER");
        var port = FreePort();
        var start = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };

        // s3rver encrypts listing continuation tokens with DES, which Node 17+ only offers through the legacy
        // OpenSSL provider: without it every listing past 1,000 keys fails with a 500.
        start.Environment["NODE_OPTIONS"] = "--openssl-legacy-provider";
        foreach (var argument in new[] { "-d", _data.Path, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent" })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{binary}'.");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        ServiceUrl = new Uri($"http://127.0.0.1:{port}");
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

    public S3Settings Settings(string bucket, int partSize = 5 * 1024 * 1024) => new()
    {
        ServiceUrl = ServiceUrl,
        Bucket = bucket,
        AccessKey = "S3RVER",
        SecretKey = "S3RVER",
        PartSizeBytes = partSize,
        Retry = new RetrySettings { MaxRetries = 4, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(500) },
        RequestTimeout = TimeSpan.FromSeconds(20),
    };

    /// <summary>A new empty bucket, so tests never see each other's objects.</summary>
    public async Task<string> CreateBucketAsync()
    {
        var bucket = "t" + Guid.NewGuid().ToString("N")[..20];
        using var client = new AmazonS3Client(new BasicAWSCredentials("S3RVER", "S3RVER"), S3ObjectStore.CreateConfig(Settings(bucket)));
        await client.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        return bucket;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitUntilListeningAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"s3rver exited at start with code {_process.ExitCode}.");
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

        throw new InvalidOperationException($"s3rver did not listen on 127.0.0.1:{port} within 20 s.");
    }
}
