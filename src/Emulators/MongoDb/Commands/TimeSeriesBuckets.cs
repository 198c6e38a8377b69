using Archiver.Emulators.MongoDb.Bson;
using Archiver.Emulators.MongoDb.Oplog;
using Archiver.Emulators.MongoDb.Query;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// Measurements in and out of version-1 (uncompressed) buckets, as mongodb/mongo <c>src/mongo/db/timeseries/README.md</c>
/// describes them: <c>{_id: ObjectId(time = control.min.time), control: {version: 1, min, max}, meta?, data: {field:
/// {"0": v, "1": v, ...}}}</c>. An insert command's measurements go to the open bucket of their meta value (one whose
/// span, from its rounded-down <c>control.min</c> time, holds the measurement's time and that has fewer than 1000
/// measurements, <c>timeseriesBucketMaxCount</c>), else to a new one; each bucket the command touched is logged once on
/// <c>db.system.buckets.name</c>: an <c>i</c> of the whole bucket when new, else a <c>u</c> with the <c>$v: 2</c> diff
/// of its <c>control</c> and <c>data</c>, as MongoDB 5.1+ logs bucket writes. Simplifications: <c>control.min/max</c>
/// compare whole values (MongoDB goes field by field into sub-documents), buckets are never closed or compressed (8.0
/// writes version 2), and a measurement earlier than its bucket's minimum opens a new bucket.
/// </summary>
internal static class TimeSeriesBuckets
{
    private const int BucketMaxCount = 1000;

    /// <summary><c>insert</c> into the view. Caller holds the lock.</summary>
    public static BsonDocument Insert(CommandContext context, TimeSeriesCollection collection, BsonArray documents, bool ordered)
    {
        if (context.View.Transaction is not null)
        {
            throw new CommandError(ErrorCode.OperationNotSupportedInTransaction, $"Cannot insert into a time-series collection in a multi-document transaction: {context.Database}.{collection.Name}");
        }

        var errors = new BsonArray();
        var touched = new List<(BsonDocument? Pre, BsonDocument Bucket)>();
        var n = 0;
        for (var i = 0; i < documents.Count; i++)
        {
            var measurement = documents[i].AsBsonDocument;
            if (measurement.GetValue(collection.TimeField, BsonNull.Value) is not BsonDateTime time)
            {
                errors.Add(new CommandError(ErrorCode.BadValue, $"'{collection.TimeField}' must be present and contain a valid BSON UTC datetime value").ToWriteError(i));
                if (ordered) break;
                continue;
            }

            measurement = UpdateOperators.WithIdFirst(measurement);
            if (!measurement.Contains("_id"))
            {
                measurement.InsertAt(0, new BsonElement("_id", ObjectId.GenerateNewId()));
            }

            var meta = collection.MetaField is { } metaField && measurement.TryGetValue(metaField, out var value) ? Normalized(value) : null;
            var index = touched.FindIndex(t => Fits(collection, t.Bucket, meta, time));
            if (index < 0)
            {
                var stored = collection.Buckets.Documents.FirstOrDefault(b => Fits(collection, b, meta, time));
                touched.Add(stored is null ? (null, NewBucket(collection, meta, time)) : (stored, BsonIdentity.Copy(stored)));
                index = touched.Count - 1;
            }

            Add(collection, touched[index].Bucket, measurement);
            n++;
        }

        foreach (var (pre, bucket) in touched)
        {
            var key = new BsonDocument("_id", bucket["_id"]);
            if (pre is null)
            {
                collection.Buckets.TryInsert(bucket);
                context.View.Log("i", collection.Buckets, bucket, key);
            }
            else
            {
                collection.Buckets.Put(bucket);
                context.View.Log("u", collection.Buckets, UpdateDiff.OplogObject(pre, bucket), key);
            }
        }

        var reply = new BsonDocument("n", n);
        if (errors.Count > 0) reply.Add("writeErrors", errors);
        reply.Add("ok", 1.0);
        return reply;
    }

    /// <summary>The measurements of every bucket, in bucket order: time field, meta field, then the data fields. Caller holds the lock.</summary>
    public static IEnumerable<BsonDocument> Unpack(TimeSeriesCollection collection)
    {
        foreach (var bucket in collection.Buckets.Documents)
        {
            var data = bucket.GetValue("data", new BsonDocument()).AsBsonDocument;
            var times = data.GetValue(collection.TimeField, new BsonDocument()).AsBsonDocument;
            foreach (var position in times.Names)
            {
                var measurement = new BsonDocument(collection.TimeField, times[position]);
                if (collection.MetaField is { } metaField && bucket.TryGetValue("meta", out var meta))
                {
                    measurement.Add(metaField, meta);
                }

                foreach (var field in data.Where(f => f.Name != collection.TimeField))
                {
                    if (field.Value is BsonDocument column && column.TryGetValue(position, out var value))
                    {
                        measurement.Add(field.Name, value);
                    }
                }

                yield return measurement;
            }
        }
    }

    private static bool Fits(TimeSeriesCollection collection, BsonDocument bucket, BsonValue? meta, BsonDateTime time)
    {
        var control = bucket["control"].AsBsonDocument;
        if (control.GetValue("closed", false).ToBoolean() || control.GetValue("version", 1).ToInt32() != 1) return false;
        var hasMeta = bucket.TryGetValue("meta", out var bucketMeta);
        if (hasMeta != meta is not null || (meta is not null && !BsonIdentity.BinaryEquals(bucketMeta, meta))) return false;
        var min = control["min"][collection.TimeField].ToUniversalTime();
        var at = time.ToUniversalTime();
        return at >= min && at < min.AddSeconds(collection.MaxSpanSeconds)
            && bucket["data"][collection.TimeField].AsBsonDocument.ElementCount < BucketMaxCount;
    }

    private static BsonDocument NewBucket(TimeSeriesCollection collection, BsonValue? meta, BsonDateTime time)
    {
        var seconds = time.MillisecondsSinceEpoch / 1000;
        var rounded = seconds - (((seconds % collection.RoundingSeconds) + collection.RoundingSeconds) % collection.RoundingSeconds);
        var bucket = new BsonDocument
        {
            { "_id", ObjectId.GenerateNewId((int)rounded) },
            {
                "control", new BsonDocument
                {
                    { "version", 1 },
                    { "min", new BsonDocument(collection.TimeField, new BsonDateTime(rounded * 1000)) },
                    { "max", new BsonDocument() },
                }
            },
        };
        if (meta is not null) bucket.Add("meta", meta);
        bucket.Add("data", new BsonDocument());
        return bucket;
    }

    private static void Add(TimeSeriesCollection collection, BsonDocument bucket, BsonDocument measurement)
    {
        var control = bucket["control"].AsBsonDocument;
        var (min, max) = (control["min"].AsBsonDocument, control["max"].AsBsonDocument);
        var data = bucket["data"].AsBsonDocument;
        var position = (data.GetValue(collection.TimeField, new BsonDocument()).AsBsonDocument.ElementCount).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var field in measurement)
        {
            if (field.Name == collection.MetaField) continue;
            if (!data.TryGetValue(field.Name, out var column))
            {
                column = new BsonDocument();
                data.Add(field.Name, column);
            }

            column.AsBsonDocument.Add(position, field.Value);
            // The time field's minimum is the bucket's rounded-down start, set when it was made.
            if (!min.TryGetValue(field.Name, out var low) || BsonOrder.Instance.Compare(field.Value, low) < 0) min.Set(field.Name, field.Value);
            if (!max.TryGetValue(field.Name, out var high) || BsonOrder.Instance.Compare(field.Value, high) > 0) max.Set(field.Name, field.Value);
        }
    }

    /// <summary>MongoDB sorts the fields of sub-documents in a meta value, so differently ordered objects share buckets.</summary>
    private static BsonValue Normalized(BsonValue value) => value switch
    {
        BsonDocument document => new BsonDocument(document.OrderBy(e => e.Name, StringComparer.Ordinal).Select(e => new BsonElement(e.Name, Normalized(e.Value)))),
        BsonArray array => new BsonArray(array.Select(Normalized)),
        _ => value,
    };
}
