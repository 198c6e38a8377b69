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

    protected override Task<IObjectStore> CreateStoreAsync() =>
        Task.FromResult<IObjectStore>(new LocalFolderStore(Path.Combine(_folder.Path, Guid.NewGuid().ToString("N"))));
}
