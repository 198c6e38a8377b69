using Archiver.Storage.Backends;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.Backends;

public sealed class LocalFolderStoreTests : ObjectStoreContract, IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_temporary_file_left_by_a_crash_is_never_listed()
    {
        var store = new LocalFolderStore(_folder.Path);
        await File.WriteAllBytesAsync(Path.Combine(_folder.Path, ".incoming", "dead.tmp"), [1, 2, 3]);

        var page = await store.ListAsync(string.Empty);

        Assert.Empty(page.Objects);
    }

    [Fact]
    public async Task A_continuation_token_whose_snapshot_is_gone_still_continues_after_its_key()
    {
        var store = new LocalFolderStore(_folder.Path);
        for (var i = 0; i < 6; i++)
        {
            await store.PutBytesAsync($"p/{i}", new byte[] { 1 });
        }

        var page = await store.ListAsync("p/", "forgotten-snapshot|p/3", pageSize: 10);

        Assert.Equal(["p/4", "p/5"], page.Objects.Select(o => o.Key));
        Assert.Null(page.ContinuationToken);
    }

    [Fact]
    public async Task Objects_deleted_while_a_listing_pages_are_left_out()
    {
        var store = new LocalFolderStore(_folder.Path);
        for (var i = 0; i < 6; i++)
        {
            await store.PutBytesAsync($"p/{i}", new byte[] { 1 });
        }

        var first = await store.ListAsync("p/", pageSize: 3);
        await store.DeleteAsync("p/4");
        var second = await store.ListAsync("p/", first.ContinuationToken, pageSize: 3);

        Assert.Equal(["p/3", "p/5"], second.Objects.Select(o => o.Key));
    }

    protected override Task<IObjectStore> CreateStoreAsync() =>
        Task.FromResult<IObjectStore>(new LocalFolderStore(Path.Combine(_folder.Path, Guid.NewGuid().ToString("N"))));
}
