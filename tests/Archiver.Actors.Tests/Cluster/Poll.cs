namespace Archiver.Actors.Tests.Cluster;

/// <summary>Bounded waiting for a condition that other threads make true.</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what} within {timeout}");
            await Task.Delay(50);
        }
    }
}
