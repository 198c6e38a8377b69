using Archiver.Mongo.Backup;
using Archiver.Mongo.Restore;
using Archiver.Storage.Catalog;
using MongoDB.Driver;

namespace Archiver.Mongo.Tests;

/// <summary>
/// The steps the restore tests on one server share: archive from now on, back up some databases, and restore one of
/// them next to it under another name (the restore owns only that name, so the source stays as it is).
/// </summary>
internal static class SameServer
{
    /// <summary>An archiver of <paramref name="client"/>'s oplog into <paramref name="repository"/>, from its newest entry on.</summary>
    public static async Task<ArchiverRun> StartArchiverAsync(IMongoClient client, TestRepository repository)
    {
        var start = await Oplog.NewestAsync(client);
        return new ArchiverRun(client, repository, o => o with { StartAfter = start });
    }

    public static Task BackupAsync(IMongoClient client, TestRepository repository, Func<string, bool> include, bool usersAndRoles = true) =>
        new LogicalBackup(client, repository.Store, repository.Layout, new LogicalBackupOptions { Component = "rs0", Timeline = 1, IncludeDatabase = include, UsersAndRoles = usersAndRoles }).RunAsync();

    /// <summary>
    /// <paramref name="source"/> restored as <paramref name="restored"/> to <paramref name="target"/>; names of other
    /// databases (a role granted on one) stay as they are. <paramref name="adjust"/> changes the options further.
    /// </summary>
    public static Task<RestoreReport> RestoreAsync(
        IMongoClient client, TestRepository repository, string source, string restored, RecoveryTarget target,
        IProgress<RestoreProgress>? progress = null, Func<RestoreOptions, RestoreOptions>? adjust = null)
    {
        var options = new RestoreOptions
        {
            IncludeDatabase = db => db == source,
            MapDatabase = db => db == source ? restored : db,
            OwnsTargetDatabase = db => db == restored,
        };
        return new RestoreExecutor(repository.Store, repository.Layout, client, adjust is null ? options : adjust(options)).RunAsync(target, progress);
    }
}
