namespace Archiver.Mongo.Backup;

/// <summary>How a sharded cluster's logical full backup is taken (<see cref="ShardedLogicalBackup"/>).</summary>
public sealed record ShardedLogicalBackupOptions
{
    public required uint Timeline { get; init; }

    /// <summary>Collections dumped at once on each replica set (they are all dumped at the same time).</summary>
    public int Parallelism { get; init; } = 4;

    public int BatchSize { get; init; } = 1000;

    /// <summary>The application databases to dump; <c>admin</c>, <c>local</c> and (but for its catalog) <c>config</c> never are.</summary>
    public Func<string, bool> IncludeDatabase { get; init; } = _ => true;

    /// <summary>Dump the users and roles of the included databases too (kept on the config server, where the router keeps them).</summary>
    public bool UsersAndRoles { get; init; } = true;

    /// <summary>How long each replica set may take to reach the cluster-wide T1 and majority-commit it.</summary>
    public TimeSpan MajorityWait { get; init; } = TimeSpan.FromSeconds(30);

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
