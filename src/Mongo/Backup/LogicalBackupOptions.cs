namespace Archiver.Mongo.Backup;

/// <summary>How a logical full backup is taken.</summary>
public sealed record LogicalBackupOptions
{
    /// <summary>The replica set (component) the backup belongs to; the same name the archiver files chunks under.</summary>
    public required string Component { get; init; }

    public required uint Timeline { get; init; }

    /// <summary>Collections dumped at once.</summary>
    public int Parallelism { get; init; } = 4;

    public int BatchSize { get; init; } = 1000;

    /// <summary>Databases to dump (default: all but <c>local</c>); <c>local</c> is never dumped.</summary>
    public Func<string, bool> IncludeDatabase { get; init; } = _ => true;

    /// <summary>Collections to dump of the included databases (database, collection); default: all.</summary>
    public Func<string, string, bool> IncludeCollection { get; init; } = (_, _) => true;

    /// <summary>
    /// Put before each file's name: the components of one sharded cluster's backup share its folder, so each names its
    /// files apart (<c>shard0-c000001.bson</c>). Empty for a replica set.
    /// </summary>
    public string FileNamePrefix { get; init; } = string.Empty;

    /// <summary>
    /// Dump the users and roles defined on the included databases too (<see cref="UsersAndRolesDump"/>), as
    /// <c>mongodump --dumpDbUsersAndRoles</c>; on by default.
    /// </summary>
    public bool UsersAndRoles { get; init; } = true;

    /// <summary>How long to wait for T1 to be majority-committed (a restore can only replay what the archiver took).</summary>
    public TimeSpan MajorityWait { get; init; } = TimeSpan.FromSeconds(30);

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
