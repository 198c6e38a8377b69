using MongoDB.Bson;

namespace Archiver.Mongo.Restore;

/// <summary>
/// Which namespaces a replay skips and how database names are mapped. Skipped: all of <c>local</c>,
/// <c>config.system.sessions</c>, <c>config.transactions</c> and other <c>config.system.*</c> (MongoDB owns
/// them), time-series collections (their <c>system.buckets.*</c> collection and the view over it, counted as
/// <c>db.name (time-series)</c>: a logical backup does not hold them, so their later writes have nowhere to go),
/// and databases the options exclude.
/// </summary>
internal sealed class NamespaceRules(Func<string, bool> includeDatabase, Func<string, string> mapDatabase)
{
    public Dictionary<string, long> Skipped { get; } = new(StringComparer.Ordinal);

    private const string BucketsPrefix = "system.buckets.";

    public static bool IsForbidden(string database, string? collection) =>
        database == "local"
        || (collection is not null && collection.StartsWith(BucketsPrefix, StringComparison.Ordinal))
        || (database == "config" && collection is not null
            && (collection is "system.sessions" or "transactions" or "image_collection" || collection.StartsWith("system.", StringComparison.Ordinal)));

    /// <summary>True (and counted) if the op must not be applied.</summary>
    public bool Skip(BsonDocument op)
    {
        var (database, collection) = Target(op);
        if (TimeSeriesView(op) is { } timeSeries)
        {
            var name = $"{database}.{timeSeries} (time-series)";
            Skipped[name] = Skipped.GetValueOrDefault(name) + 1;
            return true;
        }

        if (database.Length == 0 || (!IsForbidden(database, collection) && includeDatabase(database)))
        {
            return false;
        }

        var key = collection is null ? database : $"{database}.{collection}";
        Skipped[key] = Skipped.GetValueOrDefault(key) + 1;
        return true;
    }

    /// <summary>True (and counted) if a backed-up collection must not be loaded.</summary>
    public bool SkipCollection(string database, string collection)
    {
        if (!IsForbidden(database, collection) && includeDatabase(database))
        {
            return false;
        }

        lock (Skipped)
        {
            var key = $"{database}.{collection}";
            Skipped[key] = Skipped.GetValueOrDefault(key) + 1;
        }

        return true;
    }

    /// <summary>The collection name when <paramref name="op"/> writes the view MongoDB keeps over a time-series collection's buckets.</summary>
    private static string? TimeSeriesView(BsonDocument op) =>
        op.GetValue("ns", string.Empty).AsString.EndsWith(".system.views", StringComparison.Ordinal)
        && op.GetValue("o", BsonNull.Value) is BsonDocument o
        && o.GetValue("viewOn", BsonNull.Value) is BsonString { Value: var viewOn }
        && viewOn.StartsWith(BucketsPrefix, StringComparison.Ordinal)
            ? viewOn[BucketsPrefix.Length..]
            : null;

    public string MapNamespace(string ns)
    {
        var dot = ns.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? mapDatabase(ns) : mapDatabase(ns[..dot]) + ns[dot..];
    }

    public string MapDatabase(string database) => mapDatabase(database);

    /// <summary>The database and collection an op touches; a command's collection is its first field's value.</summary>
    private static (string Database, string? Collection) Target(BsonDocument op)
    {
        var ns = op.GetValue("ns", string.Empty).AsString;
        var dot = ns.IndexOf('.', StringComparison.Ordinal);
        var database = dot < 0 ? ns : ns[..dot];
        var collection = dot < 0 ? null : ns[(dot + 1)..];
        if (collection == "$cmd" && op.GetValue("o", new BsonDocument()) is BsonDocument { ElementCount: > 0 } command)
        {
            var first = command.GetElement(0);
            collection = first.Name == "renameCollection"
                ? first.Value.AsString[(first.Value.AsString.IndexOf('.', StringComparison.Ordinal) + 1)..]
                : first.Value.IsString ? first.Value.AsString : null;
        }

        return (database, collection);
    }
}
