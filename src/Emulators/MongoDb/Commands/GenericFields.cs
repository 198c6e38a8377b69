using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>The fields every command may carry that are not options of the command itself.</summary>
internal static class GenericFields
{
    private static readonly HashSet<string> Names = new(StringComparer.Ordinal)
    {
        "writeConcern", "readConcern", "lsid", "txnNumber", "autocommit", "startTransaction", "comment", "maxTimeMS",
        "apiVersion", "apiStrict", "apiDeprecationErrors",
    };

    /// <summary>The command's own options: everything after its first field that is not generic.</summary>
    public static BsonDocument Options(BsonDocument command, params string[] alsoSkip)
    {
        var options = new BsonDocument();
        foreach (var element in command.Skip(1))
        {
            if (!element.Name.StartsWith('$') && !Names.Contains(element.Name) && !alsoSkip.Contains(element.Name))
            {
                options.Add(element);
            }
        }

        return options;
    }
}
