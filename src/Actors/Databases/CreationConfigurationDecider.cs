using Archiver.Messages.Configuration;
using Archiver.Messages.Protocol;
using Archiver.Messages.Protocol.Databases;
using Archiver.Messages.Protocol.OpsRequests;
using Archiver.Messages.Resources;

namespace Archiver.Actors.Databases;

/// <summary>
/// Configuration at creation, as pure functions: a database created with <c>spec.archiver</c> set (and not waiting for
/// its restore) is configured by its own entity, with the ops request's configure steps but the restart. The intent is
/// persisted first (<see cref="CreationConfigurationRequested"/>), once per archiver spec; the steps run from it, and
/// <see cref="ConfiguredAtCreation"/> ends it.
/// </summary>
public static class CreationConfigurationDecider
{
    /// <summary>The intent a look at the database makes, or null (not needed, or already asked for this spec).</summary>
    public static CreationConfigurationRequested? Request(DatabaseState state, MongoDB? db, MongoDBArchiver? archiver, DateTimeOffset now)
    {
        if (db is null || archiver?.Spec is not { } spec || !DatabaseMutator.NeedsConfigurationAtCreation(db) || DatabaseMutator.RestorePending(db)) return null;
        var hash = SpecHash.Compute(spec);
        return state.ConfiguringAtCreation is { } under && under.SpecHash == hash && under.ArchiverId == ResourceId.Of(archiver)
            ? null
            : new CreationConfigurationRequested(state.Id, ResourceId.Of(archiver), hash, now);
    }

    /// <summary>Whether the steps are to run now: an intent under way, and the database still waiting for them.</summary>
    public static bool ShouldRun(DatabaseState state, MongoDB? db) =>
        state.ConfiguringAtCreation is not null && db is not null && DatabaseMutator.NeedsConfigurationAtCreation(db) && !DatabaseMutator.RestorePending(db);

    /// <summary>
    /// What the configure steps are given: the ops request they would run under, named for the database
    /// (<c>NAME-creation</c>, no such resource exists) and marked at creation (BackupConfiguration made without
    /// waiting for KubeDB's Ready, no restart).
    /// </summary>
    public static OpsRequestState Steps(ResourceId database, CreationConfiguration intent) =>
        OpsRequestState.Empty(new ResourceId(database.Namespace, $"{database.Name}-creation")) with
        {
            Operation = ArchiverOperationType.ConfigureArchiver,
            DatabaseId = database,
            ArchiverId = intent.ArchiverId,
            SpecHash = intent.SpecHash,
            AtCreation = true,
        };
}
