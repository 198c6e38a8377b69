namespace Archiver.Emulators.Cluster;

/// <summary>
/// What the stand-in's controllers and kubelet did and why, one line each: kept in memory (the last lines, for a
/// failing test's message) and, when asked, written out (the CLI's <c>--verbose</c>).
/// </summary>
public sealed class StandInLog(TextWriter? writer, TimeProvider time)
{
    private const int Kept = 2000;
    private readonly Queue<string> _lines = new();
    private readonly Lock _sync = new();

    /// <summary>The last lines written, oldest first.</summary>
    public IReadOnlyList<string> Recent
    {
        get
        {
            lock (_sync)
            {
                return [.. _lines];
            }
        }
    }

    public void Write(string line)
    {
        var stamped = $"{time.GetUtcNow():HH:mm:ss.fff} {line}";
        lock (_sync)
        {
            _lines.Enqueue(stamped);
            if (_lines.Count > Kept) _lines.Dequeue();
            writer?.WriteLine(stamped);
        }
    }
}
