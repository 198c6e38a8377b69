using Archiver.Emulators.Gcs;
using Archiver.Storage.Backends;

namespace Archiver.Storage.Tests.Support;

/// <summary>
/// What the GCS suites talk to: the JSON API stand-in (<c>src/Emulators/Gcs</c>), in this process, one for the whole
/// run; or, when <c>ARCHIVER_TEST_GCS_BUCKET</c> names a bucket and <c>ARCHIVER_TEST_GCS_CREDENTIALS</c> a service
/// account key file allowed to write to it, that real bucket (as <c>ARCHIVER_TEST_MONGODB_URI</c> swaps the MongoDB
/// emulator for a real replica set). Each store gets a bucket of its own on the stand-in and a folder of its own,
/// under one folder per run that is emptied at the end, in the real bucket.
/// </summary>
public sealed class GcsTarget : IAsyncLifetime
{
    public const string BucketVariable = "ARCHIVER_TEST_GCS_BUCKET";
    public const string CredentialsVariable = "ARCHIVER_TEST_GCS_CREDENTIALS";

    private readonly string _runFolder = $"archiver-tests/{Guid.NewGuid():N}/";

    /// <summary>The real bucket and its key file, or null: both variables must be set.</summary>
    public static (string Bucket, string KeyFile)? RealBucket =>
        Environment.GetEnvironmentVariable(BucketVariable) is { Length: > 0 } bucket && Environment.GetEnvironmentVariable(CredentialsVariable) is { Length: > 0 } key
            ? (bucket, key)
            : null;

    /// <summary>Why a suite that needs the real bucket is skipped.</summary>
    public static string RealBucketMissing => $"needs real GCS: set {BucketVariable} to a bucket you may write to and {CredentialsVariable} to a service account key file (JSON) for it";

    /// <summary>The stand-in, which also runs (for comparisons and fault tests) when a real bucket is the target.</summary>
    public GcsEmulator StandIn { get; private set; } = null!;

    public string StandInKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        StandIn = await GcsEmulator.StartAsync();
        StandInKey = StandIn.CreateServiceAccountKey();
    }

    public async Task DisposeAsync()
    {
        if (RealBucket is not null)
        {
            using var run = new GcsObjectStore(Real(_runFolder));
            await foreach (var o in run.ListAllAsync(string.Empty)) await run.DeleteAsync(o.Key);
        }

        await StandIn.DisposeAsync();
    }

    /// <summary>Settings for a new, empty store on the target (the real bucket when one is set).</summary>
    public GcsSettings NewStore(string prefix = "") =>
        RealBucket is null ? NewStandInStore(prefix) : Real(_runFolder + Guid.NewGuid().ToString("N") + "/" + prefix);

    /// <summary>Settings for a new, empty bucket on the stand-in, whatever the target.</summary>
    public GcsSettings NewStandInStore(string prefix = "")
    {
        var bucket = "t" + Guid.NewGuid().ToString("N")[..20];
        StandIn.CreateBucket(bucket);
        return StandInSettings(bucket, prefix);
    }

    public GcsSettings StandInSettings(string bucket, string prefix = "") => new()
    {
        Bucket = bucket,
        Prefix = prefix,
        ServiceAccountJson = StandInKey,
        BaseUri = StandIn.BaseUri,
        // The smallest chunk GCS allows, so a few MiB already make a many-chunk upload.
        ChunkSizeBytes = GcsSettings.ChunkGranularity * 4,
        Retry = new RetrySettings { MaxRetries = 4, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(500) },
    };

    private static GcsSettings Real(string prefix)
    {
        var (bucket, keyFile) = RealBucket!.Value;
        return new GcsSettings { Bucket = bucket, Prefix = prefix, ServiceAccountJson = File.ReadAllText(keyFile) };
    }
}
