using System.Text;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb;

/// <summary>
/// A deep copy of every user database (all but <c>local</c>) taken atomically, with the optime it reflects:
/// "the source as it was at <see cref="At"/>", for point-in-time-recovery checks.
/// </summary>
public sealed class MongoDataSnapshot
{
    internal MongoDataSnapshot(BsonTimestamp at, DateTime wall, Dictionary<string, Dictionary<string, IReadOnlyList<BsonDocument>>> databases)
    {
        At = at;
        Wall = wall;
        Databases = databases.ToDictionary(
            d => d.Key,
            d => (IReadOnlyDictionary<string, IReadOnlyList<BsonDocument>>)d.Value,
            StringComparer.Ordinal);
    }

    /// <summary>The <c>ts</c> of the newest oplog entry the data includes.</summary>
    public BsonTimestamp At { get; }

    /// <summary>The <c>wall</c> of that entry.</summary>
    public DateTime Wall { get; }

    /// <summary>Database → collection → documents in <c>_id</c> order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyList<BsonDocument>>> Databases { get; }

    /// <summary>
    /// Lists how this snapshot differs from <paramref name="other"/> (empty when equal), comparing documents
    /// byte for byte, so field order and numeric types count as MongoDB's dbHash counts them.
    /// </summary>
    public IReadOnlyList<string> DifferencesFrom(MongoDataSnapshot other, Func<string, bool>? includeDatabase = null)
    {
        ArgumentNullException.ThrowIfNull(other);
        includeDatabase ??= _ => true;
        var differences = new List<string>();
        var names = Databases.Keys.Union(other.Databases.Keys).Where(includeDatabase).Order(StringComparer.Ordinal);
        foreach (var db in names)
        {
            var mine = Databases.GetValueOrDefault(db) ?? new Dictionary<string, IReadOnlyList<BsonDocument>>();
            var theirs = other.Databases.GetValueOrDefault(db) ?? new Dictionary<string, IReadOnlyList<BsonDocument>>();
            foreach (var coll in mine.Keys.Union(theirs.Keys).Order(StringComparer.Ordinal))
            {
                CompareCollection($"{db}.{coll}", mine.GetValueOrDefault(coll), theirs.GetValueOrDefault(coll), differences);
            }
        }

        return differences;
    }

    private static void CompareCollection(string ns, IReadOnlyList<BsonDocument>? mine, IReadOnlyList<BsonDocument>? theirs, List<string> differences)
    {
        if (mine is null || theirs is null)
        {
            differences.Add($"{ns}: only in {(mine is null ? "the other snapshot" : "this snapshot")}");
            return;
        }

        if (mine.Count != theirs.Count)
        {
            differences.Add($"{ns}: {mine.Count} documents here, {theirs.Count} in the other");
        }

        for (var i = 0; i < Math.Min(mine.Count, theirs.Count); i++)
        {
            if (!mine[i].ToBson().AsSpan().SequenceEqual(theirs[i].ToBson()))
            {
                differences.Add($"{ns}: document {i} differs: {Describe(mine[i])} vs {Describe(theirs[i])}");
                return;
            }
        }
    }

    private static string Describe(BsonDocument document)
    {
        var text = new StringBuilder(document.ToJson());
        return text.Length > 300 ? text.ToString(0, 300) + "…" : text.ToString();
    }
}
