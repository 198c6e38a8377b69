namespace Archiver.Storage.Tests.Support;

/// <summary>
/// A GCS test that needs the stand-in's hooks (faults, another writer). Skipped, visibly, when the suites target a
/// real bucket, so a run against GCS never reports a fault test as passed that it did not run.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class GcsStandInFactAttribute : FactAttribute
{
    public GcsStandInFactAttribute()
    {
        if (GcsTarget.RealBucket is not null)
        {
            Skip = $"needs the GCS stand-in's hooks; {GcsTarget.BucketVariable} points the suites at a real bucket";
        }
    }
}
