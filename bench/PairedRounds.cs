namespace Archiver.Bench;

/// <summary>
/// Rounds that measure a figure and its reference back to back, alternating which goes first, judged by the
/// round whose ratio is the median. The build machine is a shared VM whose speed drifts for seconds at a time (the
/// same zstd loop measured 1.1–2.5 GiB/s across runs of one day): a best-of on each side can pair one side's fast
/// second with the other's slow one, while two measurements taken a few hundred milliseconds apart see the same
/// machine, and the median ignores the rounds a hiccup landed in.
/// </summary>
internal static class PairedRounds
{
    public static async Task<(double Value, double Reference, int Rounds)> MedianAsync(int rounds, Func<Task<double>> value, Func<Task<double>> reference)
    {
        var pairs = new List<(double Value, double Reference)>(rounds);
        for (var round = 0; round < rounds; round++)
        {
            double v, r;
            if (round % 2 == 0)
            {
                r = await reference();
                v = await value();
            }
            else
            {
                v = await value();
                r = await reference();
            }

            pairs.Add((v, r));
        }

        var median = pairs.OrderBy(p => p.Value / p.Reference).ElementAt(pairs.Count / 2);
        return (median.Value, median.Reference, rounds);
    }
}
