using Archiver.Emulators.MongoDb.Bson;
using Archiver.Emulators.MongoDb.Commands;
using Archiver.Emulators.MongoDb.Oplog;
using Archiver.Emulators.MongoDb.Query;
using CsCheck;
using MongoDB.Bson;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>
/// The $v:2 diff (or replacement) the emulator logs must rebuild the post-image exactly (field order and numeric types included)
/// when applied to the pre-image, as replay relies on. Unit level, so it runs in either target mode.
/// </summary>
public sealed class UpdateDiffProperties
{
    private static readonly string[] Paths = ["a", "b", "n", "n.x", "n.y", "n.deep.z", "arr", "arr.0", "arr.2", "e"];
    private static readonly string[] Operators = ["$set", "$unset", "$inc", "$push", "$addToSet", "$pull", "$pop", "$rename"];

    private static readonly Gen<BsonValue> Scalar = Gen.OneOf(
        Gen.Int[-3, 3].Select(i => (BsonValue)new BsonInt32(i)),
        Gen.Long[-3, 3].Select(i => (BsonValue)new BsonInt64(i)),
        Gen.OneOf("x", "y", string.Empty).Select(s => (BsonValue)new BsonString(s)),
        Gen.Bool.Select(b => (BsonValue)BsonBoolean.Create(b)));

    private static readonly Gen<BsonValue> Value = Gen.OneOf(
        Scalar,
        Scalar.Array[0, 3].Select(a => (BsonValue)new BsonArray(a)),
        Gen.Select(Scalar, Scalar).Select(p => (BsonValue)new BsonDocument { { "x", p.Item1 }, { "deep", new BsonDocument("z", p.Item2) } }));

    private static readonly Gen<BsonDocument> Document =
        Gen.Select(Value, Value, Value, Value, Gen.Bool.Array[4]).Select(t =>
        {
            var doc = new BsonDocument("_id", 1);
            string[] names = ["a", "n", "arr", "e"];
            BsonValue[] values = [t.Item1, t.Item2, t.Item3, t.Item4];
            for (var i = 0; i < names.Length; i++)
            {
                if (t.Item5[i])
                {
                    doc.Add(names[i], values[i]);
                }
            }

            return doc;
        });

    private static readonly Gen<BsonDocument> Modification =
        Gen.Select(Gen.OneOf(Operators), Gen.OneOf(Paths), Value).Select(t =>
        {
            var value = t.Item1 switch
            {
                "$unset" => (BsonValue)string.Empty,
                "$inc" => new BsonInt32(1),
                "$pop" => new BsonInt32(1),
                "$rename" => "renamed",
                _ => t.Item3,
            };
            return new BsonDocument(t.Item1, new BsonDocument(t.Item2, value));
        });

    [Fact]
    public void Applying_the_logged_diff_to_the_pre_image_rebuilds_the_post_image_byte_for_byte()
    {
        Gen.Select(Document, Modification.Array[1, 4]).Sample(t =>
        {
            var (pre, modifications) = t;
            var post = pre;
            foreach (var modification in modifications)
            {
                try
                {
                    post = UpdateOperators.Apply(post, modification, inserting: false);
                }
                catch (CommandError)
                {
                    // An update MongoDB would refuse too (a path through a scalar, $inc of a string): skip it.
                }
            }

            if (BsonIdentity.BinaryEquals(pre, post))
            {
                return true;
            }

            var o = UpdateDiff.OplogObject(pre, post);
            var rebuilt = o;
            if (o.Contains("$v"))
            {
                rebuilt = BsonIdentity.Copy(pre);
                UpdateDiffApplier.Apply(rebuilt, o["diff"].AsBsonDocument);
            }

            return rebuilt.ToBson().AsSpan().SequenceEqual(post.ToBson());
        }, iter: 3000);
    }
}
