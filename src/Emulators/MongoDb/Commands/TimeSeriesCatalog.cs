using Archiver.Emulators.MongoDb.Storage;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// Time-series collections as MongoDB 5.0-7.x keep them (mongodb/mongo <c>src/mongo/db/timeseries/README.md</c>,
/// <c>_createTimeseries</c> in <c>create_collection.cpp</c>): <c>create</c> with <c>timeseries</c> makes the clustered
/// collection <c>db.system.buckets.name</c> (options: a <c>validator</c> on the bucket schema, <c>clusteredIndex: true</c>,
/// the <c>timeseries</c> options with their defaults filled in, <c>expireAfterSeconds</c>), logged as a <c>create</c>
/// without <c>idIndex</c>, then the view <c>db.name</c> over it (<c>$_internalUnpackBucket</c>), logged as views are (see
/// <see cref="ViewCatalog"/>). Dropping the view drops the buckets. Granularity defaults are those of
/// https://www.mongodb.com/docs/manual/core/timeseries/timeseries-granularity/ (seconds: buckets span 3600 s, rounded
/// to 60 s; minutes: 86400 s / 3600 s; hours: 2592000 s / 86400 s).
/// </summary>
internal static class TimeSeriesCatalog
{
    public const string BucketsPrefix = "system.buckets.";

    private static readonly Dictionary<string, (int MaxSpan, int Rounding)> Granularities = new(StringComparer.Ordinal)
    {
        ["seconds"] = (3600, 60),
        ["minutes"] = (86400, 3600),
        ["hours"] = (2592000, 86400),
    };

    /// <summary>The time-series collection <paramref name="name"/>, or null when it is not one. Caller holds the lock.</summary>
    public static TimeSeriesCollection? Find(StorageEngine storage, string database, string name)
    {
        if (ViewCatalog.Find(storage, database, name) is not { } view
            || view.GetValue("viewOn", "").AsString is not { } on || !on.StartsWith(BucketsPrefix, StringComparison.Ordinal)
            || storage.Find(database, on) is not { } buckets
            || buckets.Options.GetValue("timeseries", BsonNull.Value) is not BsonDocument options)
        {
            return null;
        }

        var (maxSpan, rounding) = options.TryGetValue("granularity", out var granularity)
            ? Granularities[granularity.AsString]
            : (options["bucketMaxSpanSeconds"].ToInt32(), options["bucketRoundingSeconds"].ToInt32());
        return new TimeSeriesCollection(
            name,
            buckets,
            options["timeField"].AsString,
            options.GetValue("metaField", BsonNull.Value) is BsonString meta ? meta.Value : null,
            maxSpan,
            rounding);
    }

    /// <summary><c>create</c> with <c>timeseries</c>. Caller holds the lock and has checked that the name is free.</summary>
    public static void Create(CommandContext context, string name, BsonDocument options)
    {
        if (options.Names.FirstOrDefault(n => n is not ("timeseries" or "expireAfterSeconds")) is { } other)
        {
            throw new CommandError(ErrorCode.InvalidOptions, $"option '{other}' is not supported for a time-series collection by the MongoDB emulator");
        }

        var timeseries = Normalize(options["timeseries"]);
        var state = context.State;
        var bucketsName = BucketsPrefix + name;
        if (state.Storage.Find(context.Database, bucketsName) is not null)
        {
            throw new CommandError(ErrorCode.NamespaceExists, $"Bucket Collection already exists. NS: {context.Database}.{bucketsName}");
        }

        var bucketOptions = new BsonDocument
        {
            { "validator", Validator(timeseries["timeField"].AsString) },
            { "clusteredIndex", true },
            { "timeseries", timeseries },
        };
        if (options.TryGetValue("expireAfterSeconds", out var expire))
        {
            if (!expire.IsNumeric || expire.ToInt64() < 0)
            {
                throw new CommandError(ErrorCode.InvalidOptions, "TTL index 'expireAfterSeconds' option must be a non-negative number");
            }

            bucketOptions.Add("expireAfterSeconds", expire.ToInt64());
        }

        state.CreateCollection(context.Database, bucketsName, bucketOptions);
        var unpack = new BsonDocument("timeField", timeseries["timeField"]);
        if (timeseries.TryGetValue("metaField", out var metaField)) unpack.Add("metaField", metaField);
        unpack.Add("bucketMaxSpanSeconds", timeseries["bucketMaxSpanSeconds"]);
        ViewCatalog.Create(context, name, new BsonDocument
        {
            { "viewOn", bucketsName },
            { "pipeline", new BsonArray { new BsonDocument("$_internalUnpackBucket", unpack) } },
        });
    }

    /// <summary>Drops the time-series collection if <paramref name="name"/> is one: its view, then its buckets (order unverified). Caller holds the lock.</summary>
    public static bool Drop(CommandContext context, string name)
    {
        if (Find(context.State.Storage, context.Database, name) is not { } collection)
        {
            return false;
        }

        ViewCatalog.Drop(context, name);
        context.State.DropCollection(collection.Buckets);
        return true;
    }

    /// <summary>listCollections' <c>options</c> of the view: the buckets' <c>timeseries</c> and <c>expireAfterSeconds</c>.</summary>
    public static BsonDocument ListedOptions(CollectionState? buckets)
    {
        var options = new BsonDocument("timeseries", buckets?.Options.GetValue("timeseries", new BsonDocument()) ?? new BsonDocument());
        if (buckets?.Options.TryGetValue("expireAfterSeconds", out var expire) == true) options.Add("expireAfterSeconds", expire);
        return options;
    }

    /// <summary>
    /// The options as MongoDB stores and lists them: <c>{timeField, metaField?, granularity, bucketMaxSpanSeconds}</c>, or
    /// with custom bucketing (6.3+) <c>{timeField, metaField?, bucketRoundingSeconds, bucketMaxSpanSeconds}</c>. A
    /// <c>bucketMaxSpanSeconds</c> given with a granularity must be that granularity's (as listCollections returns it).
    /// </summary>
    private static BsonDocument Normalize(BsonValue value)
    {
        if (value is not BsonDocument given)
        {
            throw new CommandError(ErrorCode.TypeMismatch, "'timeseries' must be an object");
        }

        if (given.Names.FirstOrDefault(n => n is not ("timeField" or "metaField" or "granularity" or "bucketMaxSpanSeconds" or "bucketRoundingSeconds")) is { } unknown)
        {
            throw new CommandError(ErrorCode.IdlUnknownField, $"BSON field 'TimeseriesOptions.{unknown}' is an unknown field.");
        }

        if (given.GetValue("timeField", BsonNull.Value) is not BsonString { Value.Length: > 0 } timeField)
        {
            throw new CommandError(ErrorCode.InvalidOptions, "BSON field 'TimeseriesOptions.timeField' is missing but a required field");
        }

        var normalized = new BsonDocument("timeField", timeField);
        if (given.TryGetValue("metaField", out var metaField))
        {
            if (metaField is not BsonString { Value.Length: > 0 } meta || meta.Value == timeField.Value || meta.Value == "_id")
            {
                throw new CommandError(ErrorCode.InvalidOptions, "The 'metaField' must be a non-empty string other than the timeField and '_id'");
            }

            normalized.Add("metaField", meta);
        }

        var span = given.GetValue("bucketMaxSpanSeconds", BsonNull.Value);
        var rounding = given.GetValue("bucketRoundingSeconds", BsonNull.Value);
        if (given.TryGetValue("granularity", out var granularity) || (span.IsBsonNull && rounding.IsBsonNull))
        {
            var name = granularity?.IsString == true ? granularity.AsString : granularity is null ? "seconds" : string.Empty;
            if (!Granularities.TryGetValue(name, out var defaults))
            {
                throw new CommandError(ErrorCode.BadValue, "Enumeration value for 'granularity' must be one of 'seconds', 'minutes', 'hours'");
            }

            if ((!span.IsBsonNull && (!span.IsNumeric || span.ToInt32() != defaults.MaxSpan)) || !rounding.IsBsonNull)
            {
                throw new CommandError(ErrorCode.InvalidOptions, $"Time-series 'bucketMaxSpanSeconds' cannot be set to a value other than the default of {defaults.MaxSpan} for the provided granularity");
            }

            normalized.Add("granularity", name);
            normalized.Add("bucketMaxSpanSeconds", defaults.MaxSpan);
            return normalized;
        }

        if (!span.IsNumeric || !rounding.IsNumeric || span.ToInt32() != rounding.ToInt32() || span.ToInt32() is < 1 or > 31536000)
        {
            throw new CommandError(ErrorCode.InvalidOptions, "Time-series 'bucketMaxSpanSeconds' and 'bucketRoundingSeconds' must be given together, equal, between 1 and 31536000");
        }

        normalized.Add("bucketRoundingSeconds", rounding.ToInt32());
        normalized.Add("bucketMaxSpanSeconds", span.ToInt32());
        return normalized;
    }

    /// <summary>The version-1 bucket schema MongoDB's <c>generateTimeseriesValidator</c> enforces, in short.</summary>
    private static BsonDocument Validator(string timeField)
    {
        var time = new BsonDocument
        {
            { "bsonType", "object" },
            { "required", new BsonArray { timeField } },
            { "properties", new BsonDocument(timeField, new BsonDocument("bsonType", "date")) },
        };
        var control = new BsonDocument
        {
            { "bsonType", "object" },
            { "required", new BsonArray { "version", "min", "max" } },
            {
                "properties", new BsonDocument
                {
                    { "version", new BsonDocument("bsonType", "number") },
                    { "min", time },
                    { "max", time.DeepClone() },
                    { "closed", new BsonDocument("bsonType", "bool") },
                    { "count", new BsonDocument { { "bsonType", "number" }, { "minimum", 1 } } },
                }
            },
            { "additionalProperties", false },
        };
        return new BsonDocument("$jsonSchema", new BsonDocument
        {
            { "bsonType", "object" },
            { "required", new BsonArray { "_id", "control", "data" } },
            {
                "properties", new BsonDocument
                {
                    { "_id", new BsonDocument("bsonType", "objectId") },
                    { "control", control },
                    { "data", new BsonDocument("bsonType", "object") },
                    { "meta", new BsonDocument() },
                }
            },
            { "additionalProperties", false },
        });
    }
}
