using Archiver.Storage.Backends;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.Backends;

// Needs a server of its own (Azurite): run by .ci/run as the E2E step.
[Trait("Category", "E2E")]
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobStoreTests(AzuriteFixture azurite) : ObjectStoreContract
{
    [Fact]
    public async Task A_root_prefix_is_added_on_write_and_stripped_from_listings()
    {
        var container = await azurite.CreateContainerAsync();
        var prefixed = new AzureBlobStore(azurite.Settings(container, prefix: "tenant/a/"));
        var raw = new AzureBlobStore(azurite.Settings(container));
        await prefixed.PutBytesAsync("x/1", new byte[] { 9 });

        Assert.Equal(["x/1"], (await prefixed.ListAsync("x/")).Objects.Select(o => o.Key));
        Assert.Equal(["tenant/a/x/1"], (await raw.ListAsync(string.Empty)).Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task An_object_larger_than_one_block_goes_up_in_blocks_and_comes_back_whole()
    {
        var store = new AzureBlobStore(azurite.Settings(await azurite.CreateContainerAsync()));
        var bytes = new byte[20 * 1024 * 1024 + 17];
        new Random(5).NextBytes(bytes);
        await store.PutBytesAsync("big/object", bytes);

        Assert.Equal(bytes, await store.GetBytesAsync("big/object"));
        Assert.False(await store.PutBytesIfAbsentAsync("big/object", new byte[] { 1, 2, 3 }));
        Assert.Equal(bytes.Length, (await store.ListAsync("big/")).Objects.Single().Size);
    }

    protected override async Task<IObjectStore> CreateStoreAsync() =>
        new AzureBlobStore(azurite.Settings(await azurite.CreateContainerAsync()));
}
