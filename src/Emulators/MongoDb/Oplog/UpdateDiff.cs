using Archiver.Emulators.MongoDb.Bson;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Oplog;

/// <summary>
/// Computes the <c>$v: 2</c> delta of an update from its pre- and post-image, in the section order MongoDB writes
/// (d, u, i, then s&lt;field&gt; sub-diffs), with array diffs <c>{a:true, l?, u&lt;idx&gt;, s&lt;idx&gt;}</c>.
/// MongoDB builds the delta of an operator update from the paths the operators touched (v2_log_builder); from
/// images alone the emulator approximates it: a changed nested document is always a sub-diff, an array is a
/// sub-diff only when it was non-empty and did not shrink (a $set by index or a $push), otherwise the whole new
/// array is written, as for $pull or a $push onto an empty array.
/// </summary>
internal static class UpdateDiff
{
    /// <summary>The diff, or null when the images are binary-equal (MongoDB logs no entry then).</summary>
    public static BsonDocument? Compute(BsonDocument pre, BsonDocument post) => DiffDocuments(pre, post);

    /// <summary>
    /// The <c>o</c> of an operator update's entry: <c>{$v:2, diff}</c>, or the full post-image when a delta could
    /// not rebuild it (fields that moved, which one operator update never does, but the emulator stays exact).
    /// </summary>
    public static BsonDocument OplogObject(BsonDocument pre, BsonDocument post) =>
        KeepsOrder(pre, post) && Compute(pre, post) is { } diff
            ? new BsonDocument { { "$v", 2 }, { "diff", diff } }
            : post;

    /// <summary>
    /// Whether applying a delta (which updates fields in place and appends new ones) can yield the post-image's
    /// field order: fields in both keep their relative order, and new fields come after all of them.
    /// </summary>
    private static bool KeepsOrder(BsonDocument pre, BsonDocument post)
    {
        var common = pre.Names.Where(post.Contains).ToList();
        var index = 0;
        var sawNew = false;
        foreach (var name in post.Names)
        {
            if (!pre.Contains(name))
            {
                sawNew = true;
                continue;
            }

            if (sawNew || common[index++] != name)
            {
                return false;
            }
        }

        return true;
    }

    private static BsonDocument? DiffDocuments(BsonDocument pre, BsonDocument post)
    {
        var deletes = new BsonDocument();
        var updates = new BsonDocument();
        var inserts = new BsonDocument();
        var subDiffs = new List<BsonElement>();
        foreach (var element in pre)
        {
            if (!post.Contains(element.Name))
            {
                deletes.Add(element.Name, false);
            }
        }

        foreach (var element in post)
        {
            if (!pre.TryGetValue(element.Name, out var old))
            {
                inserts.Add(element.Name, element.Value);
                continue;
            }

            if (BsonIdentity.BinaryEquals(old, element.Value))
            {
                continue;
            }

            var sub = SubDiff(old, element.Value);
            if (sub is not null)
            {
                subDiffs.Add(new BsonElement("s" + element.Name, sub));
            }
            else
            {
                updates.Add(element.Name, element.Value);
            }
        }

        var diff = new BsonDocument();
        AddSection(diff, "d", deletes);
        AddSection(diff, "u", updates);
        AddSection(diff, "i", inserts);
        diff.AddRange(subDiffs);
        return diff.ElementCount == 0 ? null : diff;
    }

    private static BsonDocument? DiffArrays(BsonArray pre, BsonArray post)
    {
        var diff = new BsonDocument("a", true);
        for (var i = 0; i < post.Count; i++)
        {
            if (i >= pre.Count)
            {
                diff.Add("u" + i, post[i]);
                continue;
            }

            if (BsonIdentity.BinaryEquals(pre[i], post[i]))
            {
                continue;
            }

            var sub = SubDiff(pre[i], post[i]);
            diff.Add(sub is not null ? new BsonElement("s" + i, sub) : new BsonElement("u" + i, post[i]));
        }

        return diff.ElementCount == 1 ? null : diff;
    }

    /// <summary>A sub-diff for two documents, or for two arrays when the new one only grew or changed in place.</summary>
    private static BsonDocument? SubDiff(BsonValue old, BsonValue value) => (old, value) switch
    {
        (BsonDocument a, BsonDocument b) when KeepsOrder(a, b) => DiffDocuments(a, b),
        (BsonArray a, BsonArray b) when a.Count > 0 && b.Count >= a.Count => DiffArrays(a, b),
        _ => null,
    };

    private static void AddSection(BsonDocument diff, string name, BsonDocument section)
    {
        if (section.ElementCount > 0)
        {
            diff.Add(name, section);
        }
    }
}
