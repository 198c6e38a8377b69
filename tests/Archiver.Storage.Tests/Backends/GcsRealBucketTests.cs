using Archiver.Storage.Backends;
using Archiver.Storage.Tests.Support;
using Google;
using Google.Apis.Auth.OAuth2;
using Google.Cloud.Storage.V1;

namespace Archiver.Storage.Tests.Backends;

/// <summary>
/// The stand-in against the real service: the same calls, made by Google's client on both, must end the same way
/// (statuses and reasons of what is refused, page shapes). Skipped, saying what to set, without a real bucket.
/// </summary>
[Collection(GcsCollection.Name)]
public sealed class GcsRealBucketTests(GcsTarget gcs)
{
    [RealGcsFact]
    public async Task The_stand_in_answers_as_GCS_does()
    {
        var real = gcs.NewStore();
        var standIn = gcs.NewStandInStore();

        var expected = await ObserveAsync(real);
        var actual = await ObserveAsync(standIn);

        Assert.Equal(expected, actual);
    }

    /// <summary>What a fixed series of calls comes to, as lines that leave out what differs by nature (generations, tokens).</summary>
    private static async Task<List<string>> ObserveAsync(GcsSettings settings)
    {
        using var client = new StorageClientBuilder
        {
            GoogleCredential = CredentialFactory.FromJson<ServiceAccountCredential>(settings.ServiceAccountJson).ToGoogleCredential(),
            BaseUri = settings.BaseUriOrDefault.ToString(),
        }.Build();
        var root = settings.Prefix;
        var seen = new List<string>();

        async Task Try(string what, Func<Task<string>> call)
        {
            try
            {
                seen.Add($"{what}: {await call()}");
            }
            catch (GoogleApiException e)
            {
                seen.Add($"{what}: {(int)e.HttpStatusCode} {e.Error?.Errors?.FirstOrDefault()?.Reason}");
            }
            catch (StorageException e)
            {
                seen.Add($"{what}: {e.GetType().Name} {(e.InnerException as GoogleApiException)?.HttpStatusCode}");
            }
        }

        var ifAbsent = new UploadObjectOptions { IfGenerationMatch = 0 };
        foreach (var name in new[] { "p/a", "p/b", "p/c" })
        {
            await Try($"create {name}", async () => (await client.UploadObjectAsync(settings.Bucket, root + name, null, new MemoryStream([1, 2, 3]), ifAbsent)).Size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?");
        }

        await Try("create p/a again", async () => (await client.UploadObjectAsync(settings.Bucket, root + "p/a", null, new MemoryStream([4]), ifAbsent)).Name);
        // Our store declares a chunk's CRC-32C in the upload's metadata and counts on GCS refusing bytes that differ.
        await Try("create with a wrong crc32c", async () => (await client.UploadObjectAsync(
            new Google.Apis.Storage.v1.Data.Object { Bucket = settings.Bucket, Name = root + "p/d", Crc32c = "AAAAAA==" },
            new MemoryStream([1, 2, 3]),
            new UploadObjectOptions { UploadValidationMode = UploadValidationMode.None })).Name);
        await Try("get missing", async () => (await client.GetObjectAsync(settings.Bucket, root + "p/none")).Name);
        await Try("range past the end", async () =>
        {
            await client.DownloadObjectAsync(settings.Bucket, root + "p/a", new MemoryStream(), new DownloadObjectOptions { Range = new System.Net.Http.Headers.RangeHeaderValue(10, 20) });
            return "read";
        });
        await Try("pages of 2", async () =>
        {
            var first = await client.ListObjectsAsync(settings.Bucket, root + "p/", new ListObjectsOptions { PageSize = 2 }).AsRawResponses().FirstAsync();
            return $"{first.Items.Count} more={first.NextPageToken is not null}";
        });
        await Try("delete missing", async () =>
        {
            await client.DeleteObjectAsync(settings.Bucket, root + "p/none");
            return "deleted";
        });
        // Our store's own requests (a declared CRC-32C, a media GET read from its headers, an empty object).
        using var store = new GcsObjectStore(settings);
        var bytes = ObjectStoreContract.RandomBytes(300_000, seed: 21);
        await Try("store round trip from memory", async () =>
        {
            await store.PutBytesAsync("s/memory", bytes);
            return (await store.GetBytesAsync("s/memory")).SequenceEqual(bytes) ? "same" : "differs";
        });
        await Try("store round trip streamed", async () =>
        {
            var created = await store.PutIfAbsentAsync("s/stream", new NonSeekableStream(new MemoryStream(bytes)));
            return $"{created} {((await store.GetBytesAsync("s/stream")).SequenceEqual(bytes) ? "same" : "differs")}";
        });
        await Try("store empty object", async () =>
        {
            await store.PutBytesAsync("s/empty", ReadOnlyMemory<byte>.Empty);
            return (await store.GetBytesAsync("s/empty")).Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        });
        await Try("store missing object", async () => (await store.GetAsync("s/none")).Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return seen;
    }
}
