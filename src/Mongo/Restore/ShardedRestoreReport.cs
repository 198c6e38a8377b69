namespace Archiver.Mongo.Restore;

/// <summary>What a sharded cluster's restore did: one replica set's report per component (the config server's and each shard's).</summary>
public sealed record ShardedRestoreReport(string BackupId, string Target, IReadOnlyDictionary<string, RestoreReport> Components)
{
    public long DocumentsLoaded => Components.Values.Sum(r => r.DocumentsLoaded);

    public long EntriesReplayed => Components.Values.Sum(r => r.EntriesReplayed);
}
