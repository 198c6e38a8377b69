using Archiver.Mongo.Backup;
using MongoDB.Bson;

namespace Archiver.Mongo.Restore;

public sealed partial class RestoreExecutor
{
    /// <summary>
    /// A backup file of users or roles (<see cref="UsersAndRolesDump"/>): its documents of restored databases are written
    /// mapped (<see cref="UsersAndRolesRules"/>), the others (all of them with <see cref="RestoreOptions.RestoreUsersAndRoles"/>
    /// off) counted as skipped. Loaded alongside the collections, since the documents are written as they are (no command
    /// checks a user's roles against the target's); before the replay, whose entries of (T0, T1] converge on them. Recorded
    /// in the marker as loaded like a collection, so a resumed restore never writes them again over what its replay changed.
    /// </summary>
    private async Task LoadUsersAndRolesAsync(string fileName, BsonDocument header, Stream stream, NamespaceRules rules, CancellationToken cancellationToken)
    {
        var ns = $"{header["db"].AsString}.{header["collection"].AsString}";
        var authz = rules.UsersAndRoles;
        var ops = new BsonArray();
        var mapped = new List<BsonString>();
        while (await ReadDocumentAsync(stream, cancellationToken) is { } document)
        {
            var id = document.GetValue("_id", BsonNull.Value);
            if (!authz.Includes(id))
            {
                rules.Count(ns);
                continue;
            }

            ops.Add(new BsonDocument { { "op", "i" }, { "ns", ns }, { "o", authz.Map(document) } });
            mapped.Add(authz.MapId(id));
        }

        await UsersAndRolesWriter.ApplyAsync(RunCommandAsync, ops, cancellationToken);
        foreach (var id in mapped)
        {
            authz.Record(ns, id, present: true);
        }

        await RestoreMarker.LoadedAsync(target, _options.RestoreId, fileName, cancellationToken);
    }
}
