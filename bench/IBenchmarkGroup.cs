namespace Archiver.Bench;

/// <summary>
/// One group of side-by-side benchmarks, selected by <see cref="Name"/> on the command line. Adding a group
/// (mongo, actors, ...) is adding one class that implements this: groups are discovered, not registered.
/// </summary>
internal interface IBenchmarkGroup
{
    string Name { get; }

    Task RunAsync(BenchReport report);
}
