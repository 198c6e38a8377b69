using System.Diagnostics;
using Amazon.S3;
using Amazon.S3.Model;
using Archiver.Emulators.Gcs;
using Archiver.Storage.Backends;
using Archiver.Storage.Tests.Support;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Google.Apis.Auth.OAuth2;

namespace Archiver.Bench.Storage;

/// <summary>
/// Chunk-sized objects written and read back through each remote backend (S3 on s3rver, Azure Blob on Azurite, GCS on
/// the GCS stand-in), beside a raw HTTP transfer of the same bytes to the same server: one PUT and one GET per object
/// with HttpClient, signed the cheapest way the server takes (a presigned S3 URL, an Azure SAS, a GCS bearer token and
/// its resumable session, which is the only upload the stand-in serves). What the backend adds is its own work:
/// put-if-absent checks, retries' bookkeeping, ranged reads, checksums. Goal: at least 0.8 of the raw rate.
/// </summary>
internal static class BackendTransferBenchmark
{
    private const int ObjectBytes = 4 * 1024 * 1024;
    private const int Objects = 12;
    private const int Rounds = 5;

    public static async Task RunAsync(BenchReport report)
    {
        var payload = new byte[ObjectBytes];
        new Random(17).NextBytes(payload);
        using var http = new HttpClient();
        await S3Async(report, payload, http);
        await AzureAsync(report, payload, http);
        await GcsAsync(report, payload, http);
    }

    private static async Task S3Async(BenchReport report, byte[] payload, HttpClient http)
    {
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        using var data = new TempFolder();
        var port = ServerProcess.FreePort();
        using var server = await ServerProcess.StartAsync(
            "s3rver",
            await NpmServerInstall.EnsureAsync("s3rver", "3.7.1", "s3rver", "ARCHIVER_S3RVER"),
            ["-d", data.Path, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent"],
            port,
            new Dictionary<string, string> { ["NODE_OPTIONS"] = "--openssl-legacy-provider" });
        var settings = new S3Settings { ServiceUrl = new Uri($"http://127.0.0.1:{port}"), Bucket = "bench", AccessKey = "S3RVER", SecretKey = "S3RVER" };
        using var client = new AmazonS3Client(new Amazon.Runtime.BasicAWSCredentials("S3RVER", "S3RVER"), S3ObjectStore.CreateConfig(settings));
        await client.PutBucketAsync(new PutBucketRequest { BucketName = "bench" });
        var store = new S3ObjectStore(settings);
        await CompareAsync(report, "s3", payload, store, async (key, bytes) =>
        {
            var put = await client.GetPreSignedURLAsync(new GetPreSignedUrlRequest { BucketName = "bench", Key = key, Verb = HttpVerb.PUT, Expires = DateTime.UtcNow.AddHours(1), Protocol = Protocol.HTTP });
            var get = await client.GetPreSignedURLAsync(new GetPreSignedUrlRequest { BucketName = "bench", Key = key, Verb = HttpVerb.GET, Expires = DateTime.UtcNow.AddHours(1), Protocol = Protocol.HTTP });
            (await http.PutAsync(put, new ByteArrayContent(bytes))).EnsureSuccessStatusCode();
            return await http.GetByteArrayAsync(get);
        });
    }

    private static async Task AzureAsync(BenchReport report, byte[] payload, HttpClient http)
    {
        using var data = new TempFolder();
        var port = ServerProcess.FreePort();
        using var server = await ServerProcess.StartAsync(
            "azurite",
            await NpmServerInstall.EnsureAsync("azurite", "3.37.0", "azurite-blob", "ARCHIVER_AZURITE"),
            ["--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--location", data.Path, "--silent", "--skipApiVersionCheck"],
            port);
        const string Account = "devstoreaccount1";
        const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
        var serviceUri = new Uri($"http://127.0.0.1:{port}/{Account}");
        var credential = new StorageSharedKeyCredential(Account, Key);
        var container = new BlobServiceClient(serviceUri, credential).GetBlobContainerClient("bench");
        await container.CreateIfNotExistsAsync();
        var store = new AzureBlobStore(new AzureBlobSettings { Account = Account, AccountKey = Key, Container = "bench", ServiceUri = serviceUri });
        var sas = container.GenerateSasUri(BlobContainerSasPermissions.Read | BlobContainerSasPermissions.Write | BlobContainerSasPermissions.Create, DateTimeOffset.UtcNow.AddHours(1));
        await CompareAsync(report, "azure", payload, store, async (key, bytes) =>
        {
            var uri = new UriBuilder(sas) { Path = $"{sas.AbsolutePath}/{key}" }.Uri;
            using var put = new HttpRequestMessage(HttpMethod.Put, uri) { Content = new ByteArrayContent(bytes) };
            put.Headers.Add("x-ms-blob-type", "BlockBlob");
            (await http.SendAsync(put)).EnsureSuccessStatusCode();
            return await http.GetByteArrayAsync(uri);
        });
    }

    private static async Task GcsAsync(BenchReport report, byte[] payload, HttpClient http)
    {
        await using var gcs = await GcsEmulator.StartAsync();
        gcs.CreateBucket("bench");
        var key = gcs.CreateServiceAccountKey();
        using var store = new GcsObjectStore(new GcsSettings { Bucket = "bench", ServiceAccountJson = key, BaseUri = gcs.BaseUri });
#pragma warning disable CS0618 // FromJson: the key is the stand-in's own, made a moment ago (the replacement asks for a typed credential factory).
        var token = await GoogleCredential.FromJson(key).CreateScoped("https://www.googleapis.com/auth/devstorage.read_write").UnderlyingCredential.GetAccessTokenForRequestAsync();
#pragma warning restore CS0618
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        await CompareAsync(report, "gcs", payload, store, async (name, bytes) =>
        {
            var start = new Uri(gcs.Url, $"upload/storage/v1/b/bench/o?uploadType=resumable&name={Uri.EscapeDataString(name)}");
            using var session = await http.PostAsync(start, new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
            session.EnsureSuccessStatusCode();
            var content = new ByteArrayContent(bytes);
            // One chunk that is the whole object: its range and the total, as GCS's resumable protocol has the last chunk say.
            content.Headers.ContentRange = new System.Net.Http.Headers.ContentRangeHeaderValue(0, bytes.Length - 1, bytes.Length);
            (await http.PutAsync(session.Headers.Location!, content)).EnsureSuccessStatusCode();
            return await http.GetByteArrayAsync(new Uri(gcs.BaseUri, $"b/bench/o/{Uri.EscapeDataString(name)}?alt=media"));
        });
        http.DefaultRequestHeaders.Authorization = null;
    }

    /// <summary>Paired rounds: the backend's write-then-read of every object against the raw transfer's, each in MiB/s.</summary>
    private static async Task CompareAsync(BenchReport report, string backend, byte[] payload, IObjectStore store, Func<string, byte[], Task<byte[]>> raw)
    {
        var round = 0;
        var (value, reference, rounds) = await PairedRounds.MedianAsync(
            Rounds,
            async () =>
            {
                var prefix = $"ours-{round++}/";
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < Objects; i++)
                {
                    await store.PutBytesAsync($"{prefix}{i:D4}", payload);
                    await using var read = await store.GetAsync($"{prefix}{i:D4}");
                    await read.CopyToAsync(Stream.Null);
                }

                return Rate(watch);
            },
            async () =>
            {
                var prefix = $"raw-{round++}/";
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < Objects; i++)
                {
                    var back = await raw($"{prefix}{i:D4}", payload);
                    if (back.Length != payload.Length) throw new InvalidOperationException($"{backend}: the raw transfer read {back.Length} bytes of {payload.Length}");
                }

                return Rate(watch);
            });
        Console.WriteLine($"# {backend}: {Objects} objects of {ObjectBytes >> 20} MiB written and read back; median of {rounds} paired rounds: backend {value:0.0} MiB/s, raw HTTP {reference:0.0} MiB/s");
        report.AtLeast($"storage.backend.{backend}.vs_raw_http", value, reference, 0.8);
    }

    private static double Rate(Stopwatch watch) => 2.0 * Objects * ObjectBytes / (1024 * 1024) / watch.Elapsed.TotalSeconds;
}
