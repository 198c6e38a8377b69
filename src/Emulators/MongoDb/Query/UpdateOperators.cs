using Archiver.Emulators.MongoDb.Bson;
using Archiver.Emulators.MongoDb.Commands;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Query;

/// <summary>
/// Applies update documents: replacements and the operators <c>$set $unset $inc $setOnInsert $push $min $max
/// $mul $addToSet $pull $pop $rename</c> on dotted paths. Like MongoDB 5.0+, fields are modified in lexicographic path order, so new
/// fields are appended in that order (which the $v:2 diff then reproduces on replay).
/// </summary>
internal static class UpdateOperators
{
    public static bool IsOperatorUpdate(BsonDocument update) =>
        update.ElementCount > 0 && update.GetElement(0).Name.StartsWith('$');

    /// <summary>Returns the post-image; <paramref name="pre"/> is left untouched.</summary>
    public static BsonDocument Apply(BsonDocument pre, BsonDocument update, bool inserting)
    {
        if (!IsOperatorUpdate(update))
        {
            return Replace(pre, update);
        }

        var post = BsonIdentity.Copy(pre);
        var modifications = new List<(string Path, string Op, BsonValue Value)>();
        foreach (var op in update)
        {
            if (op.Name == "$setOnInsert" && !inserting)
            {
                continue;
            }

            if (op.Value is not BsonDocument fields)
            {
                throw new CommandError(ErrorCode.FailedToParse, $"Modifiers operate on fields but we found type {op.Value.BsonType} instead.");
            }

            modifications.AddRange(fields.Select(f => (f.Name, op.Name, f.Value)));
        }

        foreach (var (path, op, value) in modifications.OrderBy(m => m.Path, StringComparer.Ordinal))
        {
            if (!inserting && (path == "_id" || path.StartsWith("_id.", StringComparison.Ordinal)))
            {
                var current = DocumentPath.Values(pre, path);
                if (op != "$set" || current.Count != 1 || !BsonIdentity.BinaryEquals(current[0], value))
                {
                    throw new CommandError(ErrorCode.ImmutableField, "Performing an update on the path '_id' would modify the immutable field '_id'");
                }

                continue;
            }

            ApplyOne(post, path, op, value);
        }

        return post;
    }

    /// <summary>The document an upsert inserts: equality fields of the filter, then the update.</summary>
    public static BsonDocument UpsertDocument(BsonDocument filter, BsonDocument update)
    {
        var seed = new BsonDocument();
        foreach (var element in filter)
        {
            if (element.Name.StartsWith('$'))
            {
                continue;
            }

            if (element.Value is BsonDocument condition && condition.ElementCount > 0 && condition.GetElement(0).Name.StartsWith('$'))
            {
                if (condition.TryGetValue("$eq", out var eq))
                {
                    PathWriter.Set(seed, element.Name, eq);
                }

                continue;
            }

            PathWriter.Set(seed, element.Name, element.Value);
        }

        var post = IsOperatorUpdate(update) ? Apply(seed, update, inserting: true) : Replace(seed, update);
        return WithIdFirst(post);
    }

    /// <summary>MongoDB stores <c>_id</c> as the first field and generates an ObjectId when it is missing.</summary>
    public static BsonDocument WithIdFirst(BsonDocument document)
    {
        if (document.ElementCount > 0 && document.GetElement(0).Name == "_id")
        {
            return document;
        }

        var id = document.TryGetValue("_id", out var existing) ? existing : ObjectId.GenerateNewId();
        var result = new BsonDocument("_id", id);
        foreach (var element in document)
        {
            if (element.Name != "_id")
            {
                result.Add(element);
            }
        }

        return result;
    }

    private static BsonDocument Replace(BsonDocument pre, BsonDocument replacement)
    {
        if (replacement.TryGetValue("_id", out var newId) && pre.TryGetValue("_id", out var oldId) && !BsonIdentity.BinaryEquals(newId, oldId))
        {
            throw new CommandError(ErrorCode.ImmutableField, "After applying the update, the (immutable) field '_id' was found to have been altered");
        }

        var post = new BsonDocument();
        if (pre.TryGetValue("_id", out var id))
        {
            post.Add("_id", id);
        }

        foreach (var element in replacement)
        {
            if (element.Name != "_id" || !post.Contains("_id"))
            {
                post.Add(element.Name, element.Value.DeepClone());
            }
        }

        return WithIdFirst(post);
    }

    private static void ApplyOne(BsonDocument document, string path, string op, BsonValue value)
    {
        switch (op)
        {
            case "$set" or "$setOnInsert":
                PathWriter.Set(document, path, value.DeepClone());
                break;
            case "$unset":
                PathWriter.Unset(document, path);
                break;
            case "$inc" or "$mul":
                var existing = PathWriter.Get(document, path);
                if (!value.IsNumeric || (existing is not null && !existing.IsNumeric))
                {
                    throw new CommandError(ErrorCode.TypeMismatch, $"Cannot apply {op} to a value of non-numeric type. {{_id: ...}} has the field '{path}' of non-numeric type {existing?.BsonType}");
                }

                var result = op == "$inc"
                    ? Arithmetic.Add(existing ?? new BsonInt32(0), value)
                    : Arithmetic.Multiply(existing ?? new BsonInt32(0), value);
                PathWriter.Set(document, path, result);
                break;
            case "$min" or "$max":
                var current = PathWriter.Get(document, path);
                var c = current is null ? 0 : BsonOrder.Instance.Compare(value, current);
                if (current is null || (op == "$min" ? c < 0 : c > 0))
                {
                    PathWriter.Set(document, path, value.DeepClone());
                }

                break;
            case "$push":
                var array = PathWriter.Get(document, path);
                var items = value is BsonDocument each && each.TryGetValue("$each", out var list) ? list.AsBsonArray.ToList() : [value];
                if (array is null)
                {
                    PathWriter.Set(document, path, new BsonArray(items.Select(i => i.DeepClone())));
                }
                else if (array is BsonArray target)
                {
                    target.AddRange(items.Select(i => i.DeepClone()));
                }
                else
                {
                    throw new CommandError(ErrorCode.BadValue, $"The field '{path}' must be an array but is of type {array.BsonType}");
                }

                break;
            case "$addToSet" or "$pull" or "$pop":
                ArrayOperators.Apply(document, path, op, value);
                break;
            case "$rename":
                var moved = PathWriter.Get(document, path);
                if (moved is not null)
                {
                    PathWriter.Unset(document, path);
                    PathWriter.Set(document, value.AsString, moved);
                }

                break;
            default:
                throw new CommandError(ErrorCode.FailedToParse, $"Unknown modifier: {op}. The emulator supports $set $unset $inc $mul $min $max $setOnInsert $push $addToSet $pull $pop $rename");
        }
    }
}
