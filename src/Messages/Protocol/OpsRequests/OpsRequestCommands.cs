using Archiver.Messages.Resources;

namespace Archiver.Messages.Protocol.OpsRequests;

public interface IOpsRequestCommand : IWithOpsRequestId;

/// <summary>A MongoDBOpsRequest resource appeared: carry it out. Sent again harmlessly (it is accepted once).</summary>
/// <param name="SpecHash">For ConfigureArchiver, the archiver spec-hash it configures; if the archiver changes
/// before the request finishes, the request is skipped as superseded and a new one follows.</param>
public sealed record StartOpsRequest(ResourceId OpsRequestId, ArchiverOperationType Operation, ResourceId DatabaseId, ResourceId ArchiverId, string? SpecHash) : IOpsRequestCommand;

/// <summary>Answered with the entity's <see cref="OpsRequestState"/>.</summary>
public sealed record GetOpsRequestState(ResourceId OpsRequestId) : IOpsRequestCommand;
