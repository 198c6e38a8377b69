using Akka.Actor;
using Akka.Event;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using Archiver.Storage.Verification;

namespace Archiver.Actors.StorageIndexes;

/// <summary>
/// Scrubs, one at a time per storage (a thousand databases asking on the same day read their storage one after
/// another, not all at once), beside the actor's thread. A scrub lists its prefix afresh rather than sharing the
/// index's catalog, which only this thread may touch; a prefix already waiting is not queued twice.
/// </summary>
public sealed partial class StorageIndexActor
{
    private readonly LinkedList<(string Prefix, List<IActorRef> ReplyTo)> _scrubs = [];
    private bool _scrubbing;

    private void ReceiveVerification()
    {
        Receive<VerifyRepository>(q =>
        {
            // Waiting already (not the one running, which may have read the prefix before what prompted this): answered with it.
            if (_scrubs.Skip(_scrubbing ? 1 : 0).FirstOrDefault(s => s.Prefix == q.Prefix).ReplyTo is { } waiting)
            {
                waiting.Add(Sender);
                return;
            }

            _scrubs.AddLast((q.Prefix, [Sender]));
            ScrubNext();
        });
        Receive<Scrubbed>(done =>
        {
            var (_, replyTo) = _scrubs.First!.Value;
            _scrubs.RemoveFirst();
            _scrubbing = false;
            if (done.Reply.Error is not null) _log.Warning("verifying {0}:{1} failed: {2}", _storage, done.Reply.Prefix, done.Reply.Error);
            else if (done.Reply.Problems.Count > 0) _log.Error("verifying {0}:{1}: {2}", _storage, done.Reply.Prefix, string.Join("; ", done.Reply.Problems.Select(p => p.Message)));
            foreach (var asker in replyTo) asker.Tell(done.Reply);
            ScrubNext();
        });
    }

    private void ScrubNext()
    {
        if (_scrubbing || _scrubs.First is not { } next) return;
        _scrubbing = true;
        var prefix = next.Value.Prefix;
        var storage = _storage;
        var stores = _stores;
        var clock = _clock;
        var snapshots = _snapshots;
        ScrubAsync().PipeTo(Self,
            success: reply => new Scrubbed(reply),
            failure: e => new Scrubbed(new VerificationReply(prefix, clock.GetUtcNow(), 0, 0, 0, [], e.GetBaseException().Message)));

        async Task<VerificationReply> ScrubAsync()
        {
            var store = await stores.OpenAsync(storage);
            var catalog = await RepositoryCatalog.LoadAsync(store, new RepositoryLayout(prefix));
            var result = await new RepositoryScrub(store, catalog, time: clock, snapshots: snapshots).RunAsync();
            return new VerificationReply(prefix, clock.GetUtcNow(), result.ChunksChecked, result.BackupFilesChecked, result.BytesChecked,
                [.. result.Problems.Select(p => new VerificationProblemInfo(p.Key, p.Kind.ToString(), p.Describe(), [.. p.Breaks.Select(b => b.Window.BackupId).Distinct()], p.BackupId))],
                null);
        }
    }

    private sealed record Scrubbed(VerificationReply Reply) : INoSerializationVerificationNeeded;
}
