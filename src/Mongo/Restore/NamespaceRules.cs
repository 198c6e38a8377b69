using MongoDB.Bson;

namespace Archiver.Mongo.Restore;

/// <summary>
/// Which namespaces a replay skips and how database names are mapped. Skipped: all of <c>local</c>, Archiver's own
/// <c>archiver_restore</c> and <c>admin.archiver_lineage</c>,
/// <c>config.system.sessions</c>, <c>config.transactions</c> and other <c>config.system.*</c> (MongoDB owns
/// them), and databases the options exclude. Time-series collections are replayed like any other: their
/// <c>system.buckets.*</c> collection's create, drop and bucket writes, and their view in <c>system.views</c>. The users
/// and roles in <c>admin.system.users</c> and <c>admin.system.roles</c> are skipped here: their inserts, updates and
/// deletes are written by <see cref="UsersAndRolesRules"/>' own path, and the collections' <c>create</c> and index builds
/// never replayed (the restore makes the collection when it first needs it).
/// </summary>
internal sealed class NamespaceRules(Func<string, bool> includeDatabase, Func<string, string> mapDatabase, bool usersAndRoles = true)
{
    public UsersAndRolesRules UsersAndRoles { get; } = new(usersAndRoles, includeDatabase, mapDatabase);

    /// <summary>Which collections of an included database are restored (a sharded cluster's config server: its catalog only).</summary>
    public Func<string, string, bool> IncludeCollection { get; init; } = (_, _) => true;

    /// <summary>
    /// A sharded cluster's shards renamed (source name → target name) in the catalog the config server restores: the
    /// owner of each chunk (<c>config.chunks</c> <c>shard</c>, and <c>history[].shard</c>) and each database's primary
    /// shard (<c>config.databases</c> <c>primary</c>). Null or empty: names kept.
    /// </summary>
    public IReadOnlyDictionary<string, string>? ShardNames { get; init; }

    /// <summary>Whether documents of <paramref name="ns"/> name shards to rename (see <see cref="ShardNames"/>).</summary>
    public bool RewritesShards(ReadOnlySpan<byte> ns) => ShardNames is { Count: > 0 } && (ns.SequenceEqual("config.chunks"u8) || ns.SequenceEqual("config.databases"u8));

    public bool RewritesShards(string ns) => ShardNames is { Count: > 0 } && ns is "config.chunks" or "config.databases";

    /// <summary>
    /// A copy of <paramref name="value"/> (a catalog document, or an oplog entry's <c>o</c>: a whole document, a
    /// <c>$set</c>, or a <c>$v:2</c> diff, all of which keep field names as keys) with every string under a
    /// <c>shard</c> or <c>primary</c> key that names a source shard renamed.
    /// </summary>
    public BsonDocument RenameShards(BsonDocument value) => (BsonDocument)Rename(value, null);

    private BsonValue Rename(BsonValue value, string? key) => value switch
    {
        BsonString text when key is "shard" or "primary" && ShardNames!.TryGetValue(text.Value, out var renamed) => new BsonString(renamed),
        BsonDocument document => new BsonDocument(document.Select(e => new BsonElement(e.Name, Rename(e.Value, e.Name)))),
        BsonArray array => new BsonArray(array.Select(v => Rename(v, key))),
        _ => value,
    };

    public Dictionary<string, long> Skipped { get; } = new(StringComparer.Ordinal);

    public static bool IsForbidden(string database, string? collection) =>
        database == "local"
        // Archiver's own bookkeeping in the source (a restore's marker, a restored replica set's lineage) is never data.
        || database == RestoreMarker.Database
        || (database == LineageRecord.Database && collection == LineageRecord.Collection)
        || (collection is not null && UsersAndRolesRules.IsNamespace($"{database}.{collection}"))
        || (database == "config" && collection is not null
            && (collection is "system.sessions" or "transactions" or "image_collection" || collection.StartsWith("system.", StringComparison.Ordinal)));

    /// <summary>True (and counted) if the op must not be applied.</summary>
    public bool Skip(BsonDocument op)
    {
        var (database, collection) = Target(op);
        if (database.Length == 0 || (!IsForbidden(database, collection) && includeDatabase(database) && (collection is null || IncludeCollection(database, collection))))
        {
            return false;
        }

        Count(collection is null ? database : $"{database}.{collection}");
        return true;
    }

    /// <summary>True (and counted) if a backed-up collection must not be loaded.</summary>
    public bool SkipCollection(string database, string collection)
    {
        if (!IsForbidden(database, collection) && includeDatabase(database) && IncludeCollection(database, collection))
        {
            return false;
        }

        Count($"{database}.{collection}");
        return true;
    }

    // Collections are loaded several at once: every count goes through the one lock.
    public void Count(string key)
    {
        lock (Skipped)
        {
            Skipped[key] = Skipped.GetValueOrDefault(key) + 1;
        }
    }

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
