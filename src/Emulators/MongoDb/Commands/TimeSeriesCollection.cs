using Archiver.Emulators.MongoDb.Storage;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>A time-series collection: its buckets collection and the bucketing its options say.</summary>
internal sealed record TimeSeriesCollection(string Name, CollectionState Buckets, string TimeField, string? MetaField, int MaxSpanSeconds, int RoundingSeconds);
