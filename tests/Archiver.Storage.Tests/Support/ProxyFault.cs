namespace Archiver.Storage.Tests.Support;

/// <summary>What <see cref="FaultProxy"/> does to one request instead of relaying it faithfully.</summary>
public enum ProxyFault
{
    /// <summary>503 ServerBusy, as Azure throttles; the request never reaches the server.</summary>
    ServerBusy,

    /// <summary>500 InternalError; the request never reaches the server.</summary>
    InternalError,

    /// <summary>403 AuthorizationFailure, a permanent refusal that must not be retried.</summary>
    Forbidden,

    /// <summary>The connection is reset before the request is relayed: the server never saw it.</summary>
    ResetBeforeForwarding,

    /// <summary>The request is relayed and answered, then the connection is reset: the write happened, its answer was lost.</summary>
    ResetAfterForwarding,

    /// <summary>
    /// The answer's headers (its full length) and only its first <see cref="FaultProxy.CutAfterBytes"/> body bytes are
    /// sent, then the connection is ended: a download broken off in the middle of its body.
    /// </summary>
    CutBody,
}
