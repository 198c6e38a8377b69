using Archiver.Storage.Backends;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.Backends;

// Needs a server of its own (s3rver): run by .ci/run as the E2E step.
[Trait("Category", "E2E")]
[Collection(S3rverCollection.Name)]
public sealed class S3ObjectStoreTests(S3rverFixture s3rver) : ObjectStoreContract
{
    [Fact]
    public async Task A_root_prefix_is_added_on_write_and_stripped_from_listings()
    {
        var bucket = await s3rver.CreateBucketAsync();
        using var prefixed = new S3ObjectStore(s3rver.Settings(bucket) with { Prefix = "tenant/a/" });
        using var raw = new S3ObjectStore(s3rver.Settings(bucket));
        await prefixed.PutBytesAsync("x/1", new byte[] { 9 });

        Assert.Equal(["x/1"], (await prefixed.ListAsync("x/")).Objects.Select(o => o.Key));
        Assert.Equal(["tenant/a/x/1"], (await raw.ListAsync(string.Empty)).Objects.Select(o => o.Key));
    }

    protected override async Task<IObjectStore> CreateStoreAsync() =>
        new S3ObjectStore(s3rver.Settings(await s3rver.CreateBucketAsync()));
}
