namespace Archiver.Bench.Mongo;

/// <summary>A temporary folder for a benchmark's repositories, removed afterwards.</summary>
internal sealed class BenchFolder : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "archiver-bench-mongo", Guid.NewGuid().ToString("N"));

    public string NewRepository() => Directory.CreateDirectory(Path.Combine(Root, Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
