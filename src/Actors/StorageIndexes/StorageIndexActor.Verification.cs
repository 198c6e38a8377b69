using Akka.Actor;
using Akka.Event;
using Archiver.Messages.Protocol.StorageIndexes;
using Archiver.Storage.Catalog;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using Archiver.Storage.Verification;

namespace Archiver.Actors.StorageIndexes;

/// <summary>
/// Scrubs and compactions, one at a time per storage (a thousand databases asking on the same day read their storage
/// one after another, not all at once; and a scrub never reads a prefix while a compaction removes chunks from it),
/// beside the actor's thread. Each lists its prefix afresh rather than sharing the index's catalog, which only this
/// thread may touch; a request for a prefix already waiting is answered with the one waiting, not queued twice.
/// </summary>
public sealed partial class StorageIndexActor
{
    private readonly LinkedList<Job> _jobs = [];
    private bool _working;

    private void ReceiveVerification()
    {
        Receive<VerifyRepository>(q => Enqueue(q.Prefix, q));
        Receive<CompactOplog>(q => Enqueue(q.Prefix, q));
        Receive<JobDone>(done =>
        {
            var job = _jobs.First!.Value;
            _jobs.RemoveFirst();
            _working = false;
            switch (done.Reply)
            {
                case VerificationReply { Error: { } error } v:
                    _log.Warning("verifying {0}:{1} failed: {2}", _storage, v.Prefix, error);
                    break;
                case VerificationReply { Problems.Count: > 0 } v:
                    _log.Error("verifying {0}:{1}: {2}", _storage, v.Prefix, string.Join("; ", v.Problems.Select(p => p.Message)));
                    break;
                case CompactionReply { Error: { } error } c:
                    _log.Warning("compacting the oplog of {0}:{1} failed: {2}", _storage, c.Prefix, error);
                    break;
                case CompactionReply c:
                    if (c.Written > 0 || c.Removed > 0) _log.Info("compacted the oplog of {0}:{1}: {2} chunks merged into {3} objects, {4} removed, {5} waiting", _storage, c.Prefix, c.Merged, c.Written, c.Removed, c.Waiting);
                    break;
            }

            // What compaction published and removed is in the answers from now on: the windows are the same, the objects fewer.
            if (done.Reply is CompactionReply && _catalogs.ContainsKey(job.Prefix)) Invalidate(job.Prefix);
            foreach (var asker in job.ReplyTo) asker.Tell(done.Reply);
            RunNext();
        });
    }

    private void Enqueue(string prefix, object request)
    {
        // Waiting already (not the one running, which may have read the prefix before what prompted this): answered with it.
        if (_jobs.Skip(_working ? 1 : 0).FirstOrDefault(j => j.Prefix == prefix && j.Request.GetType() == request.GetType()) is { } waiting)
        {
            waiting.ReplyTo.Add(Sender);
            return;
        }

        _jobs.AddLast(new Job(prefix, request, [Sender]));
        RunNext();
    }

    private void RunNext()
    {
        if (_working || _jobs.First is not { } next) return;
        _working = true;
        var prefix = next.Value.Prefix;
        var storage = _storage;
        var stores = _stores;
        var clock = _clock;
        var snapshots = _snapshots;
        switch (next.Value.Request)
        {
            case CompactOplog compact:
                CompactAsync(compact).PipeTo(Self,
                    success: reply => new JobDone(reply),
                    failure: e => new JobDone(new CompactionReply(prefix, 0, 0, 0, 0, 0, e.GetBaseException().Message)));
                break;
            default:
                ScrubAsync().PipeTo(Self,
                    success: reply => new JobDone(reply),
                    failure: e => new JobDone(new VerificationReply(prefix, clock.GetUtcNow(), 0, 0, 0, [], e.GetBaseException().Message)));
                break;
        }

        async Task<VerificationReply> ScrubAsync()
        {
            var store = await stores.OpenAsync(storage);
            var catalog = await RepositoryCatalog.LoadAsync(store, new RepositoryLayout(prefix));
            var result = await new RepositoryScrub(store, catalog, time: clock, snapshots: snapshots).RunAsync();
            return new VerificationReply(prefix, clock.GetUtcNow(), result.ChunksChecked, result.BackupFilesChecked, result.BytesChecked,
                [.. result.Problems.Select(p => new VerificationProblemInfo(p.Key, p.Kind.ToString(), p.Describe(), [.. p.Breaks.Select(b => b.Window.BackupId).Distinct()], p.BackupId))],
                null);
        }

        async Task<CompactionReply> CompactAsync(CompactOplog request)
        {
            var store = await stores.OpenAsync(storage);
            var settings = new CompactionSettings { OlderThan = request.OlderThan, RemoveAfter = request.RemoveAfter };
            var report = await OplogCompaction.RunAsync(store, new RepositoryLayout(prefix), settings, clock.GetUtcNow());
            return new CompactionReply(prefix, report.Written.Count, report.Merged, report.Removed.Count, report.Waiting, report.Leases, null);
        }
    }

    private sealed record Job(string Prefix, object Request, List<IActorRef> ReplyTo);

    private sealed record JobDone(object Reply) : INoSerializationVerificationNeeded;
}
