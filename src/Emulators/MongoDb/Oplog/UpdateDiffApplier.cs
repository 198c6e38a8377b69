using Archiver.Emulators.MongoDb.Bson;
using Archiver.Emulators.MongoDb.Commands;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Oplog;

/// <summary>
/// Applies a <c>$v: 2</c> delta to a document, as the oplog applier does for applyOps and for replay. Sections
/// are checked the way DocumentDiffReader checks them (empty diff, unknown or out-of-order section).
/// Copy-on-write: the document given is the caller's own, but its nested documents and arrays may be shared with
/// a stored document, so each one the diff descends into is replaced by a copy of its top level before it changes.
/// Values the diff sets are stored as they are: the op is never mutated afterwards (nor is any stored document).
/// </summary>
internal static class UpdateDiffApplier
{
    private const string SectionOrder = "duis";

    public static void Apply(BsonDocument document, BsonDocument diff)
    {
        if (diff.ElementCount == 0)
        {
            throw new CommandError(ErrorCode.DiffEmpty, "Expected diff to be non-empty");
        }

        ApplyDocument(document, diff);
    }

    private static void ApplyDocument(BsonDocument document, BsonDocument diff)
    {
        var last = -1;
        foreach (var section in diff)
        {
            var kind = section.Name.Length > 1 && section.Name[0] == 's' ? 's' : section.Name.Length == 1 ? section.Name[0] : '?';
            var order = SectionOrder.IndexOf(kind, StringComparison.Ordinal);
            if (order < 0 || order < last || (order == last && kind != 's'))
            {
                throw new CommandError(ErrorCode.DiffUnknownSection, $"Unexpected or out-of-order diff section: {section.Name}");
            }

            last = order;
            if (section.Value is not BsonDocument body)
            {
                throw new CommandError((ErrorCode)4770507, $"Diff section {section.Name} is not an object");
            }

            switch (kind)
            {
                case 'd':
                    foreach (var field in body)
                    {
                        document.Remove(field.Name);
                    }

                    break;
                case 'u' or 'i':
                    foreach (var field in body)
                    {
                        document.Set(field.Name, field.Value);
                    }

                    break;
                default:
                    ApplySub(document, section.Name[1..], body);
                    break;
            }
        }
    }

    private static void ApplySub(BsonDocument document, string field, BsonDocument sub)
    {
        var isArray = sub.ElementCount > 0 && sub.GetElement(0).Name == "a";
        if (!document.TryGetValue(field, out var target))
        {
            target = isArray ? new BsonArray() : new BsonDocument();
            document.Add(field, target);
        }
        else if (Own(target, isArray) is { } owned)
        {
            document.Set(field, owned);
            target = owned;
        }

        ApplyTo(target, sub, isArray);
    }

    /// <summary>A top-level copy of a value the diff is about to change, or null when it is not of the kind the diff changes (ApplyTo refuses it).</summary>
    private static BsonValue? Own(BsonValue value, bool isArray) => (value, isArray) switch
    {
        (BsonArray array, true) => new BsonArray(array),
        (BsonDocument document, false) => BsonIdentity.ShallowCopy(document),
        _ => null,
    };

    private static void ApplyTo(BsonValue target, BsonDocument sub, bool isArray)
    {
        if (isArray && target is BsonArray array)
        {
            ApplyArray(array, sub);
        }
        else if (!isArray && target is BsonDocument nested)
        {
            ApplyDocument(nested, sub);
        }
        else
        {
            throw new CommandError(ErrorCode.BadValue, $"Cannot apply a {(isArray ? "array" : "document")} diff to a value of type {target.BsonType}");
        }
    }

    private static void ApplyArray(BsonArray array, BsonDocument diff)
    {
        foreach (var element in diff)
        {
            if (element.Name == "a")
            {
                continue;
            }

            if (element.Name == "l")
            {
                var length = element.Value.ToInt32();
                while (array.Count > length)
                {
                    array.RemoveAt(array.Count - 1);
                }

                continue;
            }

            if (!int.TryParse(element.Name.AsSpan(1), out var index) || index < 0)
            {
                throw new CommandError((ErrorCode)4770519, $"Invalid array diff field: {element.Name}");
            }

            while (array.Count <= index)
            {
                array.Add(BsonNull.Value);
            }

            if (element.Name[0] == 'u')
            {
                array[index] = element.Value;
            }
            else
            {
                var sub = element.Value.AsBsonDocument;
                var isArray = sub.ElementCount > 0 && sub.GetElement(0).Name == "a";
                if (Own(array[index], isArray) is { } owned)
                {
                    array[index] = owned;
                }

                ApplyTo(array[index], sub, isArray);
            }
        }
    }
}
