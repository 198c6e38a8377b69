using Archiver.Storage.Backends;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.Backends;

/// <summary>
/// <see cref="ObjectSpool"/>: an object read whole through the filling view is served once from disk by the draining
/// view; what is read in part, does not fit, or was already served comes from the storage again.
/// </summary>
public sealed class ObjectSpoolTests : IDisposable
{
    private readonly TempFolder _storage = new();
    private readonly TempFolder _spoolParent = new();
    private readonly LocalFolderStore _store;

    public ObjectSpoolTests() => _store = new LocalFolderStore(_storage.Path);

    [Fact]
    public async Task An_object_read_whole_is_served_once_from_the_copy_then_from_the_storage()
    {
        await PutAsync("a", 1000);
        using var spool = new ObjectSpool(_store, _spoolParent.Path, 10_000);

        Assert.Equal(Bytes(1000), await ReadAllAsync(spool.Filling, "a"));
        Assert.Equal(1000, spool.KeptBytes);
        // Changed in the storage after the check: the replay still reads the bytes that were checked.
        await PutAsync("a", 1000, seed: 9);

        Assert.Equal(Bytes(1000), await ReadAllAsync(spool.Draining, "a"));
        Assert.Equal(1, spool.ServedLocally);
        Assert.Equal(0, spool.KeptBytes);
        Assert.Equal(Bytes(1000, seed: 9), await ReadAllAsync(spool.Draining, "a"));
        Assert.Equal(1, spool.ServedLocally);
    }

    [Fact]
    public async Task An_object_that_does_not_fit_is_not_kept_and_gives_its_room_back()
    {
        await PutAsync("small", 400);
        await PutAsync("big", 2000);
        using var spool = new ObjectSpool(_store, _spoolParent.Path, 1000);

        await ReadAllAsync(spool.Filling, "big");
        Assert.Equal(0, spool.KeptBytes);
        await ReadAllAsync(spool.Filling, "small");

        Assert.Equal(400, spool.KeptBytes);
        Assert.Equal(Bytes(2000), await ReadAllAsync(spool.Draining, "big"));
        Assert.Equal(Bytes(400), await ReadAllAsync(spool.Draining, "small"));
        Assert.Equal(1, spool.ServedLocally);
    }

    [Fact]
    public async Task An_object_read_in_part_is_not_kept()
    {
        await PutAsync("a", 5000);
        using var spool = new ObjectSpool(_store, _spoolParent.Path, 100_000);

        await using (var stream = await spool.Filling.GetAsync("a"))
        {
            var buffer = new byte[100];
            await stream.ReadExactlyAsync(buffer);
        }

        Assert.Equal(0, spool.KeptBytes);
        await ReadAllAsync(spool.Draining, "a");
        Assert.Equal(0, spool.ServedLocally);
    }

    [Fact]
    public async Task A_reader_that_stops_at_the_known_length_without_reading_past_it_has_read_it_whole()
    {
        await PutAsync("a", 3000);
        using var spool = new ObjectSpool(_store, _spoolParent.Path, 100_000);

        await using (var stream = await spool.Filling.GetAsync("a"))
        {
            var buffer = new byte[stream.Length];
            await stream.ReadExactlyAsync(buffer);
        }

        Assert.Equal(3000, spool.KeptBytes);
        Assert.Equal(Bytes(3000), await ReadAllAsync(spool.Draining, "a"));
        Assert.Equal(1, spool.ServedLocally);
    }

    [Fact]
    public async Task A_spool_of_no_bytes_keeps_nothing_and_disposing_leaves_no_file()
    {
        await PutAsync("a", 100);
        using (var none = new ObjectSpool(_store, _spoolParent.Path, 0))
        {
            await ReadAllAsync(none.Filling, "a");
            await ReadAllAsync(none.Draining, "a");
            Assert.Equal(0, none.ServedLocally);
        }

        using (var spool = new ObjectSpool(_store, _spoolParent.Path, 1000))
        {
            await ReadAllAsync(spool.Filling, "a");
            Assert.NotEmpty(Directory.EnumerateFiles(_spoolParent.Path, "*", SearchOption.AllDirectories));
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(_spoolParent.Path));
    }

    public void Dispose()
    {
        _storage.Dispose();
        _spoolParent.Dispose();
    }

    private async Task PutAsync(string key, int length, int seed = 1)
    {
        using var content = new MemoryStream(Bytes(length, seed));
        await _store.PutAsync(key, content);
    }

    private static byte[] Bytes(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<byte[]> ReadAllAsync(IObjectStore store, string key)
    {
        await using var stream = await store.GetAsync(key);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }
}
