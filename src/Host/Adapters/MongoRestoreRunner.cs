using Archiver.Actors.Ports;
using Archiver.Mongo;
using Archiver.Mongo.Restore;
using Archiver.Storage.Layout;
using MongoDB.Driver;

namespace Archiver.Host.Adapters;

/// <summary>
/// Runs a planned restore with the data plane's executor into the target database's replica set. The target owns
/// every database it restores (they must not exist yet). The annotation <c>archiver.kubedb.com/restore-databases</c>
/// (<c>shop=shop_copy,crm</c>) restores only the listed source databases, under new names where given, like
/// mongorestore's <c>--nsFrom/--nsTo</c>: the way to restore next to live data in one replica set. The users and roles
/// defined on the restored databases come along (mapped likewise) unless <c>archiver.kubedb.com/restore-users-and-roles</c>
/// is <c>"false"</c>.
/// </summary>
public sealed class MongoRestoreRunner(IObjectStoreProvider stores, MongoConnections connections, Actors.Ports.IResourceStore resources) : IRestoreRunner
{
    public const string RestoreDatabasesAnnotation = "archiver.kubedb.com/restore-databases";

    public const string RestoreUsersAndRolesAnnotation = "archiver.kubedb.com/restore-users-and-roles";

    public async Task<RestoreOutcome> RunAsync(RestoreJob job, IProgress<RestoreProgressReport> progress, CancellationToken cancellation)
    {
        var target = await resources.GetAsync<Messages.Resources.MongoDB>(job.Database, cancellation)
            ?? throw new InvalidOperationException($"MongoDB {job.Database} not found");
        // One id per database incarnation: a database created again under the name restores as another restore.
        var restoreId = $"{job.Database.Namespace}.{job.Database.Name}.{target.Metadata.Uid}";
        IMongoClient client;
        try
        {
            client = await connections.ClientForAsync(target, cancellation);
        }
        catch (Exception e) when (Unreachable(e))
        {
            throw new RestoreTargetUnreachableException($"cannot reach MongoDB {job.Database} yet: {e.Message}", e);
        }

        var store = await stores.OpenAsync(job.Storage, cancellation);
        var options = new RestoreOptions
        {
            RestoreId = restoreId,
            RestoreUsersAndRoles = target.Metadata.Annotations?.TryGetValue(RestoreUsersAndRolesAnnotation, out var users) != true || !users!.Equals("false", StringComparison.OrdinalIgnoreCase),
        };
        if (target.Metadata.Annotations?.TryGetValue(RestoreDatabasesAnnotation, out var mapping) == true && mapping.Length > 0)
        {
            var map = ParseDatabaseMap(mapping);
            var owned = map.Values.ToHashSet(StringComparer.Ordinal);
            options = options with
            {
                IncludeDatabase = map.ContainsKey,
                MapDatabase = name => map.GetValueOrDefault(name, name),
                OwnsTargetDatabase = owned.Contains,
            };
        }

        var to = job.Ts is { } ts ? RestoreTarget.Parse(ts) : RestoreTarget.AtTime(job.Time ?? throw new ArgumentException("a restore job needs a time or a ts"));
        if (job.Exclusive) to = to.AsExclusive();
        RestoreReport report;
        try
        {
            report = await new RestoreExecutor(store, new RepositoryLayout(job.SourcePrefix), client, options)
                .RunAsync(to, new Progress<RestoreProgress>(p => progress.Report(new RestoreProgressReport(p.ItemsDone, p.EntriesTotal, p.BytesDone, p.BytesTotal))), cancellation);
        }
        catch (Exception e) when (e is not (RestoreFailedException or RestoreRefusedException) && Unreachable(e))
        {
            // Before its marker the executor has written nothing, and after it, what it finished is recorded there: either
            // way the restore may be tried again, and then starts, or resumes where it stopped.
            throw new RestoreTargetUnreachableException($"cannot reach MongoDB {job.Database}: {e.Message}", e);
        }

        return new RestoreOutcome(report.BackupId, report.EntriesReplayed, [.. report.Skipped.Select(s => $"{s.Key}: {s.Value}")]);
    }

    /// <summary>
    /// A target not there yet, as while KubeDB provisions it: no connection, no server selected in time, not yet
    /// accepting the credentials, or the secret that names it not made yet.
    /// </summary>
    private static bool Unreachable(Exception e) =>
        e is SecretNotFoundException || MongoTransience.IsTransient(e) || e is MongoCommandException { Code: 13 or 18 };

    /// <summary><c>a=b,c</c> → {a→b, c→c}; names are validated so a typo fails before anything is written.</summary>
    public static IReadOnlyDictionary<string, string> ParseDatabaseMap(string text)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split('=', StringSplitOptions.TrimEntries);
            var (from, to) = parts.Length switch
            {
                1 => (parts[0], parts[0]),
                2 => (parts[0], parts[1]),
                _ => throw new FormatException($"{RestoreDatabasesAnnotation}: '{item}' is not 'source' or 'source=target'"),
            };
            foreach (var name in new[] { from, to })
            {
                if (name.Length == 0 || name.IndexOfAny(['/', '\\', '.', ' ', '"', '$']) >= 0 || name is "admin" or "config" or "local")
                {
                    throw new FormatException($"{RestoreDatabasesAnnotation}: '{name}' is not a database this restore may write");
                }
            }

            map[from] = to;
        }

        return map.Count > 0 ? map : throw new FormatException($"{RestoreDatabasesAnnotation}: names no database");
    }
}
