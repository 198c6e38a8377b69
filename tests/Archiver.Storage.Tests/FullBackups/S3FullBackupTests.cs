using System.Security.Cryptography;
using Archiver.Storage.Backends;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.FullBackups;

// Needs a server of its own (s3rver): run by .ci/run as the E2E step.
[Trait("Category", "E2E")]
[Collection(S3rverCollection.Name)]
public sealed class S3FullBackupTests(S3rverFixture s3rver)
{
    [Fact]
    public async Task A_file_larger_than_several_parts_streams_through_s3_and_verifies()
    {
        using var store = new S3ObjectStore(s3rver.Settings(await s3rver.CreateBucketAsync()));
        var layout = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders");
        var writer = new FullBackupWriter(store, layout, new BackupStart("mongodump", ["rs0"], 1, DateTimeOffset.UnixEpoch)) { CompressionLevel = 1 };
        const long size = 24L * 1024 * 1024;

        var file = await writer.AddFileAsync("big.bson", "rs0", new GeneratedStream(size, 9));
        var manifest = await writer.CompleteAsync(new OplogTimestamp(1, 1), 1, DateTimeOffset.UnixEpoch);
        await using var stream = await new FullBackupReader(store, layout).OpenFileAsync(manifest, "big.bson");

        Assert.Equal(SHA256.HashData(new GeneratedStream(size, 9)), await SHA256.HashDataAsync(stream));
        Assert.True(file.StoredSize > 10L * 1024 * 1024, "big enough to need a multipart upload");
    }
}
