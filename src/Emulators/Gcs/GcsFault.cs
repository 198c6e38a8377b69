namespace Archiver.Emulators.Gcs;

/// <summary>What the stand-in does instead of (or after) serving a request a test chose to fail.</summary>
public enum GcsFault
{
    /// <summary>503 <c>backendError</c>, the request not applied: GCS's answer when it is overloaded.</summary>
    ServiceUnavailable,

    /// <summary>429 <c>rateLimitExceeded</c>, the request not applied: GCS's throttling of a too-busy object or bucket.</summary>
    TooManyRequests,

    /// <summary>500 <c>backendError</c>, the request not applied.</summary>
    InternalError,

    /// <summary>The connection is reset before the request is applied.</summary>
    ResetBeforeHandling,

    /// <summary>The request is applied in full, then the connection is reset instead of answering: the client cannot know it worked.</summary>
    ResetAfterHandling,

    /// <summary>A media download sends its headers and half its body, then resets the connection.</summary>
    BreakBodyMidway,

    /// <summary>
    /// Damage in transit: a media download arrives with one bit flipped, its headers (and hashes) as they were; an
    /// upload's chunk is taken with one bit flipped.
    /// </summary>
    CorruptBody,
}
