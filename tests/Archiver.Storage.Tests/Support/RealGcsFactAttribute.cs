namespace Archiver.Storage.Tests.Support;

/// <summary>A test of the real service (<see cref="GcsTarget.RealBucket"/>), skipped with the reason when none is given.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RealGcsFactAttribute : FactAttribute
{
    public RealGcsFactAttribute()
    {
        if (GcsTarget.RealBucket is null)
        {
            Skip = GcsTarget.RealBucketMissing;
        }
    }
}
