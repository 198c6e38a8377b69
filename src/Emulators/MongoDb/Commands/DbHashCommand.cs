using System.Security.Cryptography;
using System.Text;
using MongoDB.Bson;

namespace Archiver.Emulators.MongoDb.Commands;

/// <summary>
/// dbHash: an MD5 per collection over its documents' BSON in <c>_id</c> order, and one over the database, so two
/// databases (or a source and its restore) can be compared. Same shape as MongoDB's reply; the hashes are only
/// comparable between emulator databases, not with a real server's.
/// </summary>
internal static class DbHashCommand
{
    public static void Register(CommandDispatcher dispatcher) => dispatcher.Add("dbHash", c => Task.FromResult(Run(c)));

    private static BsonDocument Run(CommandContext context)
    {
        var wanted = context.Command.TryGetValue("collections", out var list) && list is BsonArray names
            ? names.Select(n => n.AsString).ToHashSet(StringComparer.Ordinal)
            : null;
        var collections = new BsonDocument();
        var uuids = new BsonDocument();
        using var all = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        lock (context.State.Sync)
        {
            foreach (var collection in context.View.Storage.Collections(context.Database))
            {
                if ((wanted is not null && !wanted.Contains(collection.Name)) || collection.Name.StartsWith("system.", StringComparison.Ordinal))
                {
                    continue;
                }

                using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
                foreach (var document in collection.Documents)
                {
                    md5.AppendData(document.ToBson());
                }

                var hash = Convert.ToHexStringLower(md5.GetHashAndReset());
                collections.Add(collection.Name, hash);
                uuids.Add(collection.Name, collection.UuidValue);
                all.AppendData(Encoding.UTF8.GetBytes(collection.Name));
                all.AppendData(Encoding.UTF8.GetBytes(hash));
            }
        }

        return new BsonDocument
        {
            { "host", context.State.Hosts[context.Member] },
            { "collections", collections },
            { "capped", new BsonArray() },
            { "uuids", uuids },
            { "md5", Convert.ToHexStringLower(all.GetHashAndReset()) },
            { "timeMillis", 0 },
            { "ok", 1.0 },
        };
    }
}
