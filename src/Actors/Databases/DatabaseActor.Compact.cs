using Akka.Actor;
using Akka.Event;
using Archiver.Actors.OpsRequests;
using Archiver.Messages.Validation;
using Archiver.Messages.Protocol.StorageIndexes;

namespace Archiver.Actors.Databases;

/// <summary>
/// The scheduled compaction of an archived database's oplog (every <see cref="DatabaseSettings.CompactionInterval"/>),
/// run by its storage's index in the queue its scrubs share. The entity is the database's one owner, so one
/// compaction runs per repository at a time; a run that fails (the storage unreachable) changes nothing, and the
/// next one starts from a fresh listing. Not persisted: what it did is in the repository itself.
/// </summary>
public sealed partial class DatabaseActor
{
    /// <summary>Merging starts at chunks an hour old unless the archiver says otherwise (walBackup.config.compactAfter).</summary>
    public static readonly TimeSpan DefaultCompactAfter = TimeSpan.FromHours(1);

    private void ArmCompaction()
    {
        if (_state.Schedule is null)
        {
            Timers.Cancel("compact");
            return;
        }

        if (!Timers.IsTimerActive("compact")) Timers.StartPeriodicTimer("compact", CompactNow.Instance, _settings.CompactionInterval);
    }

    private void OnCompactNow()
    {
        if (_archiver is not { Spec: not null } archiver) return;
        var after = archiver.Spec.WalBackup?.Config?.CompactAfter is { } text && GoDuration.TryParse(text, out var parsed, out _) ? parsed : DefaultCompactAfter;
        _storageIndexes.Tell(new CompactOplog(ArchiverResources.StorageId(archiver), ArchiverResources.Directory(archiver, _state.Id), after, _settings.CompactionRemoveAfter), Self);
    }

    private void OnCompacted(CompactionReply reply)
    {
        if (reply.Error is not null)
        {
            _log.Warning("compacting the oplog of {0} failed: {1}", _state.Id, reply.Error);
            return;
        }

        CountCompaction(reply);

        // Fewer objects now: the status says so at once, not at the next observation.
        if (reply.Written > 0 || reply.Removed > 0) Self.Tell(Observe.Instance);
    }

    private sealed record CompactNow : INoSerializationVerificationNeeded
    {
        public static readonly CompactNow Instance = new();
    }
}
