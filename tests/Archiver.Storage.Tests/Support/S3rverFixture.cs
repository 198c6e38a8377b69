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
    private ServerProcess? _process;

    public Uri ServiceUrl { get; private set; } = new("http://127.0.0.1");

    public async Task InitializeAsync()
    {
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        var binary = await NpmServerInstall.EnsureAsync("s3rver", Version, "s3rver", "ARCHIVER_S3RVER");
        var port = ServerProcess.FreePort();

        // s3rver encrypts listing continuation tokens with DES, which Node 17+ only offers through the legacy
        // OpenSSL provider: without it every listing past 1,000 keys fails with a 500.
        _process = await ServerProcess.StartAsync(
            "s3rver",
            binary,
            ["-d", _data.Path, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent"],
            port,
            new Dictionary<string, string> { ["NODE_OPTIONS"] = "--openssl-legacy-provider" });
        ServiceUrl = new Uri($"http://127.0.0.1:{port}");
    }

    public Task DisposeAsync()
    {
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
}
