using System.Text;
using Archiver.Storage.Backends;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.Backends;

/// <summary>What every backend must do; each backend's test class runs all of it against a real store.</summary>
public abstract class ObjectStoreContract
{
    /// <summary>False for stores that transform bytes (encryption): listed sizes are then the stored sizes.</summary>
    protected virtual bool ListsPlainSizes => true;

    protected abstract Task<IObjectStore> CreateStoreAsync();

    [Fact]
    public async Task An_object_put_is_read_back_byte_for_byte()
    {
        var store = await CreateStoreAsync();
        var bytes = RandomBytes(70_000, seed: 1);
        await store.PutBytesAsync("db/a/object.bin", bytes);

        Assert.Equal(bytes, await store.GetBytesAsync("db/a/object.bin"));
    }

    [Fact]
    public async Task An_empty_object_is_read_back_empty()
    {
        // S3 refuses a range on an empty object (416): the S3 store's ranged open must fall back.
        var store = await CreateStoreAsync();
        await store.PutBytesAsync("db/empty", ReadOnlyMemory<byte>.Empty);

        Assert.Empty(await store.GetBytesAsync("db/empty"));
    }

    [Fact]
    public async Task A_put_replaces_the_previous_object()
    {
        var store = await CreateStoreAsync();
        await store.PutBytesAsync("k/one", Encoding.UTF8.GetBytes("first"));
        await store.PutBytesAsync("k/one", Encoding.UTF8.GetBytes("second"));

        Assert.Equal("second", Encoding.UTF8.GetString(await store.GetBytesAsync("k/one")));
    }

    [Fact]
    public async Task Reading_a_missing_object_names_it()
    {
        var store = await CreateStoreAsync();

        var error = await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.GetAsync("no/such/object"));
        Assert.Equal("no/such/object", error.Key);
    }

    [Fact]
    public async Task A_conditional_put_never_replaces_an_existing_object()
    {
        var store = await CreateStoreAsync();

        Assert.True(await store.PutBytesIfAbsentAsync("claim", Encoding.UTF8.GetBytes("mine")));
        Assert.False(await store.PutBytesIfAbsentAsync("claim", Encoding.UTF8.GetBytes("theirs")));
        Assert.Equal("mine", Encoding.UTF8.GetString(await store.GetBytesAsync("claim")));
    }

    [Fact]
    public async Task A_listing_returns_only_keys_under_the_prefix_in_ordinal_order_with_sizes()
    {
        var store = await CreateStoreAsync();
        foreach (var key in new[] { "p/b/2", "p/a", "p/b/10", "q/x", "pa" })
        {
            await store.PutBytesAsync(key, Encoding.UTF8.GetBytes(key));
        }

        var listed = await ListAllAsync(store, "p/");

        Assert.Equal(["p/a", "p/b/10", "p/b/2"], listed.Select(o => o.Key));
        if (ListsPlainSizes)
        {
            Assert.Equal([3L, 6L, 5L], listed.Select(o => o.Size));
        }
    }

    [Fact]
    public async Task An_empty_listing_has_no_objects_and_no_continuation()
    {
        var store = await CreateStoreAsync();

        var page = await store.ListAsync("nothing/here/");

        Assert.Empty(page.Objects);
        Assert.Null(page.ContinuationToken);
    }

    [Fact]
    public async Task A_listing_pages_past_a_thousand_keys_without_losing_or_repeating_any()
    {
        var store = await CreateStoreAsync();
        var keys = Enumerable.Range(0, 1_030).Select(i => $"many/{i:D5}").ToList();
        await Parallel.ForEachAsync(
            keys,
            new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (key, ct) => await store.PutBytesAsync(key, new byte[] { 1 }, ct));

        var first = await store.ListAsync("many/");
        var listed = await ListAllAsync(store, "many/");

        Assert.Equal(1_000, first.Objects.Count);
        Assert.NotNull(first.ContinuationToken);
        Assert.Equal(keys, listed.Select(o => o.Key));
    }

    [Fact]
    public async Task Small_pages_follow_the_continuation_token_to_the_end()
    {
        var store = await CreateStoreAsync();
        for (var i = 0; i < 10; i++)
        {
            await store.PutBytesAsync($"page/{i}", new byte[] { (byte)i });
        }

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await store.ListAsync("page/", token, pageSize: 3);
            seen.AddRange(page.Objects.Select(o => o.Key));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"page/{i}"), seen);
        Assert.Equal(4, pages);
    }

    [Fact]
    public async Task Deleting_removes_the_object_and_deleting_again_is_harmless()
    {
        var store = await CreateStoreAsync();
        await store.PutBytesAsync("d/x", new byte[] { 1 });

        await store.DeleteAsync("d/x");
        await store.DeleteAsync("d/x");

        Assert.Empty(await ListAllAsync(store, "d/"));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.GetAsync("d/x"));
    }

    [Fact]
    public async Task A_large_object_is_streamed_up_and_read_back_intact()
    {
        var store = await CreateStoreAsync();
        var bytes = RandomBytes(12 * 1024 * 1024 + 123, seed: 2);
        await using (var source = new MemoryStream(bytes))
        {
            await store.PutAsync("big/file", new NonSeekableStream(source));
        }

        Assert.Equal(bytes, await store.GetBytesAsync("big/file"));
        Assert.True((await ListAllAsync(store, "big/")).Single().Size >= bytes.Length);
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(11 * 1024 * 1024)]
    public async Task A_write_that_fails_midway_leaves_nothing_visible(int failAfter)
    {
        var store = await CreateStoreAsync();
        var source = new FailingStream(RandomBytes(failAfter + 10, seed: 3), failAfter);

        await Assert.ThrowsAsync<IOException>(() => store.PutAsync("crash/object", source));

        Assert.Empty(await ListAllAsync(store, "crash/"));
        Assert.Empty(await ListAllAsync(store, string.Empty));
    }

    [Theory]
    [InlineData("/absolute")]
    [InlineData("a//b")]
    [InlineData("a/../b")]
    [InlineData("a/.hidden")]
    public async Task Keys_that_could_escape_or_collide_are_refused(string key)
    {
        var store = await CreateStoreAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => store.PutBytesAsync(key, new byte[] { 1 }));
    }

    internal static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<List<StoredObject>> ListAllAsync(IObjectStore store, string prefix)
    {
        var result = new List<StoredObject>();
        await foreach (var item in store.ListAllAsync(prefix))
        {
            result.Add(item);
        }

        return result;
    }
}
