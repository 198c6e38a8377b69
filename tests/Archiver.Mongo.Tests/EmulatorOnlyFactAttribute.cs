using Xunit;

namespace Archiver.Mongo.Tests;

/// <summary>
/// A test that needs the emulator's hooks (rollback, failover, tiny oplogs). Skipped, visibly, when the suite runs
/// against a real replica set; such test classes also carry <c>[Trait("Target", "EmulatorOnly")]</c> for filtering.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class EmulatorOnlyFactAttribute : FactAttribute
{
    public EmulatorOnlyFactAttribute()
    {
        if (MongoTarget.RealServerUri is not null)
        {
            Skip = $"needs the emulator's test hooks; {MongoTarget.UriVariable} points at a real server";
        }
    }
}
