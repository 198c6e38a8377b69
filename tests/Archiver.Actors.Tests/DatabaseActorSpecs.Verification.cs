using Archiver.Actors.Databases;
using Archiver.Actors.StorageIndexes;
using Archiver.Messages.Protocol;
using Archiver.Messages.Resources;
using Archiver.Storage;
using Archiver.Storage.Backends;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;

namespace Archiver.Actors.Tests;

/// <summary>The scheduled scrub, through a real storage index over a real repository, into the incremental Snapshot's status.</summary>
public sealed partial class DatabaseActorSpecs
{
    [Fact]
    public async Task A_scrub_marks_the_snapshot_VerificationFailed_naming_a_corrupt_chunk_and_Verified_once_it_is_repaired()
    {
        var folder = Directory.CreateTempSubdirectory("archiver-verify-").FullName;
        try
        {
            var objects = new LocalFolderStore(folder);
            var layout = new RepositoryLayout("db/MongoDB/demo/mg-rs");
            var chunks = new List<ChunkDescriptor>();
            var entries = SampleRepository.Entries(1_000, 200);
            using (var writer = new OplogChunkWriter(objects, layout, "rs0", 1, OplogTimestamp.Zero))
            {
                foreach (var batch in entries.Chunk(40))
                {
                    foreach (var entry in batch) writer.Append(entry);
                    chunks.Add((await writer.PublishAsync())!);
                }
            }

            var backup = new FullBackupWriter(objects, layout, new BackupStart("logical", ["rs0"], 1, DateTimeOffset.UnixEpoch));
            await backup.AddFileAsync("all.bson", "rs0", new MemoryStream(new byte[100]));
            var backupId = (await backup.CompleteAsync(entries[10].Ts, entries[10].WallUnixMs, DateTimeOffset.UnixEpoch)).Id;
            var broken = chunks[2].Key;
            var good = await objects.GetBytesAsync(broken);
            var bad = good.ToArray();
            bad[^10] ^= 0x40;
            await objects.PutBytesAsync(broken, bad);
            _index = Sys.ActorOf(StorageIndexActor.Props(new ResourceId("stash", "local-storage"), new SampleRepository.OneStore(objects), new StorageIndexSettings(), TimeProvider.System));
            await StartAsync("scheduler: {schedule: \"0 * * * *\"}", settings: new DatabaseSettings { FirstVerificationAfter = TimeSpan.FromMilliseconds(100), VerificationInterval = TimeSpan.FromMilliseconds(300) });
            var snapshotId = new ResourceId("demo", "mg-rs-incremental");
            await _store.CreateAsync(OpsRequests.ArchiverResources.IncrementalSnapshot(Fixtures.Archiver(), Fixtures.DatabaseId, "h", DateTimeOffset.UtcNow));

            await AwaitAssertAsync(async () =>
            {
                var status = (await _store.GetAsync<Snapshot>(snapshotId))!.Status;
                Assert.Equal(VerificationStatus.VerificationFailed, status?.VerificationStatus);
                Assert.False(status!.Integrity);
                var condition = Assert.Single(status.Conditions!, c => c.Type == DatabaseConditions.BackupVerifiedType);
                Assert.Equal(ConditionStatus.False, condition.Status);
                Assert.Equal(DatabaseConditions.VerificationFailedReason, condition.Reason);
                Assert.Contains(broken, condition.Message, StringComparison.Ordinal);
                Assert.Contains(backupId, condition.Message, StringComparison.Ordinal);
            }, TimeSpan.FromSeconds(15));

            await objects.PutBytesAsync(broken, good);

            await AwaitAssertAsync(async () =>
            {
                var status = (await _store.GetAsync<Snapshot>(snapshotId))!.Status;
                Assert.Equal(VerificationStatus.Verified, status?.VerificationStatus);
                Assert.True(status!.Integrity);
                var condition = Assert.Single(status.Conditions!, c => c.Type == DatabaseConditions.BackupVerifiedType);
                Assert.Equal(ConditionStatus.True, condition.Status);
                Assert.Equal(DatabaseConditions.VerifiedReason, condition.Reason);
            }, TimeSpan.FromSeconds(15));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
