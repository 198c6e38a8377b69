using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;

namespace Archiver.Mongo.Tests;

/// <summary>A repository in a fresh temporary folder, deleted afterwards; the store can be made to fail.</summary>
internal sealed class TestRepository : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "archiver-mongo-tests", Guid.NewGuid().ToString("N"));

    public TestRepository()
    {
        Directory.CreateDirectory(_root);
        Local = new LocalFolderStore(_root);
        Store = new FlakyStore(Local);
    }

    public LocalFolderStore Local { get; }

    public FlakyStore Store { get; }

    public RepositoryLayout Layout { get; } = RepositoryLayout.ForDatabase("MongoDB", "tests", "db");

    public string PathOf(string key) => Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));

    public Task<RepositoryCatalog> CatalogAsync() => RepositoryCatalog.LoadAsync(Local, Layout);

    /// <summary>Flips bits of the stored object's tenth byte from the end (inside a chunk's compressed frames).</summary>
    public async Task CorruptAsync(string key)
    {
        var path = PathOf(key);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^10] ^= 0x5A;
        await File.WriteAllBytesAsync(path, bytes);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on a slow machine; the temp folder is cleaned eventually.
        }
    }
}
