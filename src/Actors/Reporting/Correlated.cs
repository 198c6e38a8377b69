namespace Archiver.Actors.Reporting;

/// <summary>An Event as the <see cref="EventCorrelator"/> decided it: written under <paramref name="Name"/>, seen <paramref name="Count"/> times.</summary>
public sealed record Correlated(string Name, int Count, DateTimeOffset First, DateTimeOffset Last)
{
    public bool IsNew => Count == 1;
}
