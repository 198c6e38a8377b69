using Archiver.Emulators.MongoDb.Bson;
using CsCheck;
using MongoDB.Bson;
using Xunit;

namespace Archiver.Emulators.Tests.MongoDb;

/// <summary>
/// The emulator's own BSON decoder (<see cref="BsonDecoder"/>, behind <see cref="BsonIdentity.Decode"/>) must give
/// what the driver's reader gives, byte for byte and type for type, or the driver's error; and the
/// <see cref="CompactDocument"/>s it builds must behave as <see cref="BsonDocument"/>s under every operation.
/// </summary>
public sealed class BsonDecoderProperties
{
    private static readonly Gen<string> Name = Gen.OneOf(
        Gen.OneOf("_id", "a", "b", "op", "ns", "o", "o2", "é", "x.y", string.Empty),
        Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789_$é"].Array[1, 80].Select(c => new string(c)));

    private static readonly Gen<string> Text = Gen.Char["ab z\0é€"].Array[0, 30].Select(c => new string(c));

    private static readonly Gen<BsonValue> Scalar = Gen.OneOf(
        Gen.Double.Select(d => (BsonValue)new BsonDouble(d)),
        Text.Select(s => (BsonValue)new BsonString(s)),
        Gen.Int.Select(i => (BsonValue)new BsonInt32(i)),
        Gen.Long.Select(l => (BsonValue)new BsonInt64(l)),
        Gen.Bool.Select(b => (BsonValue)BsonBoolean.Create(b)),
        Gen.Long[-62135596800000, 253402300799999].Select(ms => (BsonValue)new BsonDateTime(ms)),
        Gen.Long.Select(t => (BsonValue)new BsonTimestamp(t)),
        Gen.Byte.Array[12].Select(b => (BsonValue)new ObjectId(b)),
        Gen.Byte.Array[0, 40].Select(b => (BsonValue)new BsonBinaryData(b)),
        Gen.Guid.Select(g => (BsonValue)new BsonBinaryData(g, GuidRepresentation.Standard)),
        Gen.Select(Gen.ULong, Gen.ULong).Select(p => (BsonValue)new BsonDecimal128(Decimal128.FromIEEEBits(p.Item1, p.Item2))),
        Gen.Const((BsonValue)BsonNull.Value),
        Gen.Const((BsonValue)BsonMinKey.Value),
        Gen.Const((BsonValue)BsonMaxKey.Value),
        // Left to the driver by the decoder: each sends the whole document down the driver's path.
        Gen.Const((BsonValue)BsonUndefined.Value),
        Gen.Const((BsonValue)new BsonRegularExpression("^a.*", "i")),
        Gen.Const((BsonValue)new BsonJavaScript("function() {}")),
        Gen.Const((BsonValue)(BsonSymbol)"sym"),
        Gen.Const((BsonValue)new BsonBinaryData([1, 2, 3], BsonBinarySubType.UserDefined)),
        Gen.Const((BsonValue)new BsonDateTime(BsonConstants.DateTimeMaxValueMillisecondsSinceEpoch + 1)));

    private static readonly Gen<BsonValue> Value = Gen.Recursive<BsonValue>((depth, value) => depth >= 3
        ? Scalar
        : Gen.Frequency(
            (6, Scalar),
            (1, value.Array[0, 5].Select(values => (BsonValue)new BsonArray(values))),
            (2, Gen.Select(Name, value).Array[0, 40].Select(elements => (BsonValue)Document(elements)))));

    private static readonly Gen<BsonDocument> Documents = Gen.Select(Name, Value).Array[0, 40].Select(Document);

    [Fact]
    public void Decoding_gives_what_the_driver_gives_byte_for_byte_and_type_for_type()
    {
        Documents.Sample(document =>
        {
            var bytes = document.ToBson();
            var ours = BsonIdentity.Decode(bytes, 0, bytes.Length);
            var theirs = BsonIdentity.DecodeWithDriver(bytes, 0, bytes.Length);
            Assert.Equal(theirs.ToBson(), ours.ToBson());
            Assert.Equal(Shape(theirs), Shape(ours));
        });
    }

    [Fact]
    public void Documents_of_the_common_types_take_the_fast_path_into_compact_documents()
    {
        var document = new BsonDocument
        {
            { "_id", 7 }, { "s", "text" }, { "d", 2.5 }, { "l", 5L }, { "t", new BsonTimestamp(3, 4) }, { "at", new BsonDateTime(1000) },
            { "n", BsonNull.Value }, { "b", true }, { "u", new BsonBinaryData(Guid.NewGuid(), GuidRepresentation.Standard) },
            { "nested", new BsonDocument("x", new BsonArray { 1, "two", new BsonDocument("y", 3) }) },
        };
        var bytes = document.ToBson();

        var decoded = BsonDecoder.TryDecode(bytes, 0, bytes.Length);

        Assert.IsType<CompactDocument>(decoded);
        Assert.IsType<CompactDocument>(decoded["nested"]);
        Assert.Equal(bytes, decoded.ToBson());
        // Names and short string values come from the shared tables: the same object for every document that holds it.
        var again = BsonDecoder.TryDecode(bytes, 0, bytes.Length)!;
        Assert.Same(decoded.GetElement(1).Name, again.GetElement(1).Name);
        Assert.Same(decoded["s"], again["s"]);
    }

    [Fact]
    public void Damaged_bytes_give_the_drivers_document_or_the_drivers_error()
    {
        Gen.Select(Documents, Gen.Int[0, int.MaxValue], Gen.Byte).Sample(t =>
        {
            var (document, at, value) = t;
            var bytes = document.ToBson();
            bytes[at % bytes.Length] = value;
            var ours = Outcome(() => BsonIdentity.Decode(bytes, 0, bytes.Length));
            var theirs = Outcome(() => BsonIdentity.DecodeWithDriver(bytes, 0, bytes.Length));
            Assert.Equal(theirs, ours);
        });
    }

    [Fact]
    public void A_duplicate_name_is_refused_as_the_driver_refuses_it()
    {
        var document = new BsonDocument(allowDuplicateNames: true) { { "a", 1 }, { "b", 2 }, { "a", 3 } };
        var bytes = document.ToBson();

        var ours = Assert.Throws<InvalidOperationException>(() => BsonIdentity.Decode(bytes, 0, bytes.Length));
        var theirs = Assert.Throws<InvalidOperationException>(() => BsonIdentity.DecodeWithDriver(bytes, 0, bytes.Length));

        Assert.Equal(theirs.Message, ours.Message);
    }

    [Fact]
    public void A_compact_document_behaves_as_a_bson_document_under_every_operation()
    {
        var operation = Gen.Select(Gen.Int[0, 13], Gen.OneOf("a", "b", "c", "d", "_id"), Gen.Int[-1, 6], Gen.Int[0, 9]);
        Gen.Select(Gen.Bool, operation.Array[1, 30]).Sample(t =>
        {
            var (duplicates, operations) = t;
            var expected = new BsonDocument(duplicates);
            var actual = new CompactDocument { AllowDuplicateNames = duplicates };
            foreach (var (kind, name, index, number) in operations)
            {
                Assert.Equal(Outcome(() => Apply(expected, kind, name, index, number)), Outcome(() => Apply(actual, kind, name, index, number)));
                Assert.Equal(expected.ElementCount, actual.ElementCount);
                Assert.Equal(expected.Elements, actual.Elements);
                Assert.Equal(expected.Names, actual.Names);
                Assert.Equal(expected.Values, actual.Values);
                Assert.True(expected.Equals(actual) && actual.Equals(expected));
                Assert.Equal(expected.GetHashCode(), actual.GetHashCode());
                Assert.Equal(expected.ToBson(), actual.ToBson());
                Assert.Equal(expected.ToJson(), actual.ToJson());
                Assert.Equal(Outcome(expected.DeepClone), Outcome(actual.DeepClone));
                Assert.Equal(Outcome(expected.Clone), Outcome(actual.Clone));
            }
        });
    }

    [Fact]
    public void A_compact_document_nested_in_a_document_is_written_as_a_document()
    {
        var compact = new CompactDocument { { "x", 1 }, { "y", new CompactDocument { { "z", "deep" } } } };
        var outer = new BsonDocument { { "c", compact }, { "list", new BsonArray { compact } } };

        Assert.Equal(
            new BsonDocument { { "c", new BsonDocument { { "x", 1 }, { "y", new BsonDocument("z", "deep") } } }, { "list", new BsonArray { new BsonDocument { { "x", 1 }, { "y", new BsonDocument("z", "deep") } } } } }.ToBson(),
            outer.ToBson());
        Assert.Equal("{ \"x\" : 1, \"y\" : { \"z\" : \"deep\" } }", compact.ToString());
    }

    /// <summary>One operation of <see cref="BsonDocument"/>'s API; what it returns, as text.</summary>
    private static string Apply(BsonDocument document, int kind, string name, int index, int number) => (kind switch
    {
        0 => document.Add(name, number).ElementCount.ToString(),
        1 => (document[name] = number).ToString(),
        2 => document[name].ToString(),
        3 => document[index].ToString(),
        4 => Do(() => document.InsertAt(index, new BsonElement(name, number))),
        5 => Do(() => document.Remove(name)),
        6 => Do(() => document.RemoveAt(index)),
        7 => document.SetElement(new BsonElement(name, number)).ElementCount.ToString(),
        8 => document.SetElement(index, new BsonElement(name, number)).ElementCount.ToString(),
        9 => document.TryGetValue(name, out var value) ? value.ToString() : "none",
        10 => $"{document.Contains(name)} {document.IndexOfName(name)} {document.ContainsValue(number)} {document.GetValue(name, -1)}",
        11 => Do(() => document.RemoveElement(new BsonElement(name, number))),
        12 => document.GetElement(name).ToString(),
        _ => Do(document.Clear),
    }) ?? "null";

    private static string Do(Action action)
    {
        action();
        return "done";
    }

    private static string Outcome(Func<object> run)
    {
        try
        {
            var result = run();
            return result is BsonDocument document ? Convert.ToHexString(document.ToBson()) + " " + Shape(document) : result.ToString()!;
        }
        catch (Exception e)
        {
            return e.GetType().Name + ": " + e.Message;
        }
    }

    /// <summary>The value's types, element by element: two decodings that agree in bytes must agree in these too.</summary>
    private static string Shape(BsonValue value) => value switch
    {
        BsonDocument document => "{" + string.Join(",", document.Elements.Select(e => e.Name + ":" + Shape(e.Value))) + "}",
        BsonArray array => "[" + string.Join(",", array.Select(Shape)) + "]",
        BsonBinaryData binary => $"{value.BsonType}/{binary.SubType}",
        _ => value.BsonType.ToString(),
    };

    private static BsonDocument Document(IEnumerable<(string Name, BsonValue Value)> elements)
    {
        var document = new BsonDocument();
        foreach (var (name, value) in elements)
        {
            document[name] = value;
        }

        return document;
    }
}
