using Archiver.Messages.Protocol.OpsRequests;

namespace Archiver.Actors.OpsRequests;

/// <summary>Carries out one step of an ops request. Every step is idempotent: running it again changes nothing more.</summary>
public interface IOpsRequestSteps
{
    /// <summary>Runs the step; returns what it did, for the step's condition.</summary>
    /// <exception cref="PermanentStepException">Retrying cannot help (a missing database).</exception>
    /// <exception cref="SupersededException">The archiver changed since the request was made.</exception>
    /// <exception cref="WaitingStepException">Something outside Archiver must change first (see <see cref="StepFailures"/>).</exception>
    Task<string> RunAsync(OpsRequestStep step, OpsRequestState request, CancellationToken cancellation);
}

/// <summary>A step failure that no retry can fix: the request fails at once.</summary>
public sealed class PermanentStepException(string message) : Exception(message);

/// <summary>
/// The step cannot run until something outside Archiver changes (the database becomes Ready, its StatefulSet or storage
/// is made): the request waits, trying again with backoff, and its condition says what for.
/// </summary>
public sealed class WaitingStepException(string message) : Exception(message);

/// <summary>The archiver's configuration changed under the request: it is skipped, and a newer one will follow.</summary>
public sealed class SupersededException(string message) : Exception(message);
