using Archiver.Storage;
using Archiver.Storage.Backends;
using Archiver.Storage.Layout;

namespace Archiver.Bench.Mongo;

/// <summary>Chunks an ingest round left in a repository, for the replay figure.</summary>
internal sealed record ArchivedChunks(IObjectStore Store, RepositoryLayout Layout, IReadOnlyList<string> Keys, OplogTimestamp After, long Entries);
