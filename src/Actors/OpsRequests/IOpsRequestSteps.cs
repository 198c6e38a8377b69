using Archiver.Messages.Protocol.OpsRequests;

namespace Archiver.Actors.OpsRequests;

/// <summary>Carries out one step of an ops request. Every step is idempotent: running it again changes nothing more.</summary>
public interface IOpsRequestSteps
{
    /// <summary>Runs the step; returns what it did, for the step's condition.</summary>
    /// <exception cref="PermanentStepException">Retrying cannot help (a missing database).</exception>
    /// <exception cref="SupersededException">The archiver changed since the request was made.</exception>
    Task<string> RunAsync(OpsRequestStep step, OpsRequestState request, CancellationToken cancellation);
}

/// <summary>A step failure that no retry can fix: the request fails at once.</summary>
public sealed class PermanentStepException(string message) : Exception(message);

/// <summary>The archiver's configuration changed under the request: it is skipped, and a newer one will follow.</summary>
public sealed class SupersededException(string message) : Exception(message);
