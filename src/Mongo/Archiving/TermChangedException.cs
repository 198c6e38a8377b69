namespace Archiver.Mongo.Archiving;

/// <summary>The replica set's term changed during a tailing session: entries held past the majority point are dropped.</summary>
internal sealed class TermChangedException(long before, long now)
    : Exception($"the replica set's term changed from {before} to {now}; held entries are read again");
