namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>The namespace rules the emulator enforces (a subset of MongoDB's).</summary>
internal static class Names
{
    public static void CheckCollection(string database, string collection)
    {
        if (string.IsNullOrEmpty(database) || database.IndexOfAny(['/', '\\', '.', ' ', '"', '$']) >= 0)
        {
            throw new CommandError(ErrorCode.InvalidNamespace, $"Invalid database name: '{database}'");
        }

        if (string.IsNullOrEmpty(collection) || collection.Contains('$', StringComparison.Ordinal) || collection.StartsWith('.'))
        {
            throw new CommandError(ErrorCode.InvalidNamespace, $"Invalid collection name: '{collection}'");
        }

        if (database == "local" && collection == "oplog.rs")
        {
            throw new CommandError(ErrorCode.IllegalOperation, "the emulator's oplog is read-only to clients");
        }
    }

    /// <summary>Splits "db.coll" at the first dot (collection names may contain dots).</summary>
    public static (string Database, string Collection) Split(string ns)
    {
        var dot = ns.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? (ns, string.Empty) : (ns[..dot], ns[(dot + 1)..]);
    }
}
