using Archiver.Actors.Ports;

namespace Archiver.Actors.OpsRequests;

/// <summary>What a failed step's error means for its request.</summary>
public enum StepFailureKind
{
    /// <summary>Something transient (a timeout, a connection dropped): tried again, a bounded number of times.</summary>
    Retry,

    /// <summary>A cause outside Archiver that someone fixes (RBAC, a secret, the database's readiness): waited for, never failed for.</summary>
    Wait,

    /// <summary>No retry can help (the database is gone): the request fails at once.</summary>
    Fail,
}

/// <summary>
/// Which failures a request waits out rather than fails for. A request that fails blocks its database until someone
/// deletes it (ArchiverPlanner), so it must fail only for what retrying cannot fix; a missing secret key or RBAC
/// verb is fixed by an operator at any time, after which the same step succeeds, so the request waits for that,
/// saying what for, and goes on by itself once it is fixed.
/// </summary>
public static class StepFailures
{
    public static StepFailureKind Classify(Exception error) => error switch
    {
        PermanentStepException => StepFailureKind.Fail,
        WaitingStepException or ResourceForbiddenException or SecretNotFoundException => StepFailureKind.Wait,
        _ => StepFailureKind.Retry,
    };
}
