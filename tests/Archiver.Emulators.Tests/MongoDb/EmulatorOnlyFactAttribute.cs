using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>
/// A test that needs the emulator's hooks (fault injection, small oplogs, capture). It is skipped, visibly, when
/// the suite runs against a real replica set; mark such tests with <c>[Trait("Target", "EmulatorOnly")]</c> too so
/// they can be filtered.
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
