using Archiver.Storage.Backends;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.Backends;

// The stand-in runs in this process, so the suite needs no server of its own and is not E2E; with
// ARCHIVER_TEST_GCS_BUCKET set it runs against that real bucket instead (Support/GcsTarget.cs).
[Collection(GcsCollection.Name)]
public sealed class GcsObjectStoreTests(GcsTarget gcs) : ObjectStoreContract, IDisposable
{
    private readonly List<GcsObjectStore> _stores = [];

    public void Dispose() => _stores.ForEach(s => s.Dispose());

    [Fact]
    public async Task A_root_prefix_is_added_on_write_and_stripped_from_listings()
    {
        var settings = gcs.NewStore();
        var prefixed = Open(settings with { Prefix = settings.Prefix + "tenant/a/" });
        var raw = Open(settings);
        await prefixed.PutBytesAsync("x/1", new byte[] { 9 });

        Assert.Equal(["x/1"], (await prefixed.ListAsync("x/")).Objects.Select(o => o.Key));
        Assert.Equal(["tenant/a/x/1"], (await raw.ListAsync(string.Empty)).Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task An_object_of_many_chunks_goes_up_in_one_session_and_a_conditional_put_over_it_is_refused()
    {
        var store = Open(gcs.NewStore());
        var bytes = RandomBytes((GcsSettings.ChunkGranularity * 4 * 3) + 17, seed: 9);
        await using (var source = new MemoryStream(bytes))
        {
            await store.PutAsync("big/object", new NonSeekableStream(source));
        }

        Assert.Equal(bytes, await store.GetBytesAsync("big/object"));
        Assert.False(await store.PutBytesIfAbsentAsync("big/object", new byte[] { 1, 2, 3 }));
        Assert.Equal(bytes.Length, (await store.ListAsync("big/")).Objects.Single().Size);
    }

    [Fact]
    public async Task An_empty_object_is_written_and_read_back_empty()
    {
        var store = Open(gcs.NewStore());

        Assert.True(await store.PutBytesIfAbsentAsync("empty", Array.Empty<byte>()));

        Assert.Empty(await store.GetBytesAsync("empty"));
        Assert.Equal(0, (await store.ListAsync("empty")).Objects.Single().Size);
    }

    protected override Task<IObjectStore> CreateStoreAsync() => Task.FromResult<IObjectStore>(Open(gcs.NewStore()));

    private GcsObjectStore Open(GcsSettings settings)
    {
        var store = new GcsObjectStore(settings);
        _stores.Add(store);
        return store;
    }
}
