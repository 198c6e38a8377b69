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

    [Fact]
    public async Task A_scrub_marks_a_FullBackup_Snapshot_VerificationFailed_when_a_file_of_its_backup_is_altered_and_only_that_one()
    {
        var folder = Directory.CreateTempSubdirectory("archiver-verify-").FullName;
        try
        {
            var objects = new LocalFolderStore(folder);
            var layout = new RepositoryLayout("db/MongoDB/demo/mg-rs");
            var entries = SampleRepository.Entries(1_000, 100);
            using (var writer = new OplogChunkWriter(objects, layout, "rs0", 1, OplogTimestamp.Zero))
            {
                foreach (var entry in entries) writer.Append(entry);
                await writer.PublishAsync();
            }

            var ids = new List<string>();
            foreach (var at in new[] { 10, 60 })
            {
                var backup = new FullBackupWriter(objects, layout, new BackupStart("logical", ["rs0"], 1, DateTimeOffset.UnixEpoch.AddSeconds(at)));
                await backup.AddFileAsync("all.bson", "rs0", new MemoryStream(RandomBytes(1000, at)));
                ids.Add((await backup.CompleteAsync(entries[at].Ts, entries[at].WallUnixMs, DateTimeOffset.UnixEpoch.AddSeconds(at))).Id);
            }

            var file = layout.BackupFileKey(ids[0], "all.bson");
            var bytes = await objects.GetBytesAsync(file);
            bytes[^5] ^= 0x40;
            await objects.PutBytesAsync(file, bytes);
            _index = Sys.ActorOf(StorageIndexActor.Props(new ResourceId("stash", "local-storage"), new SampleRepository.OneStore(objects), new StorageIndexSettings(), TimeProvider.System));
            await StartAsync("scheduler: {schedule: \"0 * * * *\"}", settings: new DatabaseSettings { FirstVerificationAfter = TimeSpan.FromMilliseconds(100), VerificationInterval = TimeSpan.FromMilliseconds(300) });
            await _store.CreateAsync(FullSnapshot("mg-rs-full-1", "mg-rs", ids[0]));
            await _store.CreateAsync(FullSnapshot("mg-rs-full-2", "mg-rs", ids[1]));
            // Another database's snapshot of a backup with the same id is not this database's to mark.
            await _store.CreateAsync(FullSnapshot("other-full-1", "other", ids[0]));

            await AwaitAssertAsync(async () =>
            {
                var broken = (await _store.GetAsync<Snapshot>(new ResourceId("demo", "mg-rs-full-1")))!.Status;
                var whole = (await _store.GetAsync<Snapshot>(new ResourceId("demo", "mg-rs-full-2")))!.Status;
                Assert.Equal((VerificationStatus.VerificationFailed, false), (broken?.VerificationStatus, broken!.Integrity));
                Assert.Equal((VerificationStatus.Verified, true), (whole?.VerificationStatus, whole!.Integrity));
            }, TimeSpan.FromSeconds(15));
            Assert.Null((await _store.GetAsync<Snapshot>(new ResourceId("demo", "other-full-1")))!.Status?.VerificationStatus);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static Snapshot FullSnapshot(string name, string database, string backupId) => new()
    {
        ApiVersion = Snapshot.ApiVersionName,
        Kind = Snapshot.KindName,
        Metadata = new k8s.Models.V1ObjectMeta { Name = name, NamespaceProperty = "demo" },
        Spec = new SnapshotSpec
        {
            Version = "v1",
            SnapshotId = backupId,
            Type = SnapshotType.FullBackup,
            AppRef = new TypedObjectRef { ApiGroup = ApiGroups.KubeDb, Kind = MongoDB.KindName, Name = database, Namespace = "demo" },
            Repository = $"{database}-full",
        },
        Status = new SnapshotStatus { Phase = SnapshotPhase.Succeeded },
    };
}
