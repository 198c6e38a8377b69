using Archiver.Actors.Ports;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Archivers;

/// <summary>Everything an archiver's decisions depend on, read from the resource store at one moment.</summary>
/// <param name="Archiver">The archiver itself; null once it is gone.</param>
/// <param name="Archivers">Every archiver, to settle which one a contested database belongs to.</param>
/// <param name="OpsRequests">The ops requests that exist, by id.</param>
public sealed record ArchiverWorld(
    MongoDBArchiver? Archiver,
    IReadOnlyList<MongoDB> Databases,
    IReadOnlyList<NamespaceInfo> Namespaces,
    IReadOnlyList<MongoDBArchiver> Archivers,
    IReadOnlyDictionary<ResourceId, MongoDBOpsRequest> OpsRequests,
    BackupStorage? Storage,
    RetentionPolicy? Retention);
