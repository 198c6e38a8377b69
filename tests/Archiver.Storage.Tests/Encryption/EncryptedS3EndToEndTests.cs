using System.Security.Cryptography;
using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.Encryption;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;
using Archiver.Storage.Tests.Support;

namespace Archiver.Storage.Tests.Encryption;

// Needs a server of its own (s3rver): run by .ci/run as the E2E step.
[Trait("Category", "E2E")]
[Collection(S3rverCollection.Name)]
public sealed class EncryptedS3EndToEndTests(S3rverFixture s3rver)
{
    [Fact]
    public async Task Chunks_and_backups_written_encrypted_to_s3_plan_and_replay_like_plain_ones()
    {
        using var s3 = new S3ObjectStore(s3rver.Settings(await s3rver.CreateBucketAsync()));
        var store = new EncryptedObjectStore(s3, new EncryptionSettings(RandomNumberGenerator.GetBytes(32)));
        var layout = RepositoryLayout.ForDatabase("MongoDB", "shop", "orders");
        var timeline = await new RepositoryHistory(store, layout).OpenForArchivingAsync("uid-1", DateTimeOffset.UnixEpoch);
        var entries = SampleOplog.Entries(1_000, 200);
        using (var writer = new OplogChunkWriter(store, layout, "rs0", timeline.Id, OplogTimestamp.Zero))
        {
            foreach (var batch in entries.Chunk(50))
            {
                foreach (var entry in batch)
                {
                    writer.Append(entry);
                }

                await writer.PublishAsync();
            }
        }

        var backup = new FullBackupWriter(store, layout, new BackupStart("mongodump", ["rs0"], timeline.Id, DateTimeOffset.UnixEpoch));
        await backup.AddFileAsync("data.bson", "rs0", new GeneratedStream(300_000, 4));
        await backup.CompleteAsync(entries[10].Ts, entries[10].WallUnixMs, DateTimeOffset.UnixEpoch);

        var catalog = await RepositoryCatalog.LoadAsync(store, layout);
        var plan = catalog.PlanRestore(RecoveryTarget.AtTs(entries[150].Ts), DateTimeOffset.UtcNow).Plan!;
        var count = 0;
        await foreach (var unused in OplogReplay.ReadAsync(store, plan.Components.Single().Chunks.Select(c => c.Key), plan.BaseBackup.ConsistentAt, plan.Target.IsPast))
        {
            count++;
        }

        await using var data = await new FullBackupReader(store, layout).OpenFileAsync(plan.BaseBackup, "data.bson");
        Assert.Equal(SHA256.HashData(new GeneratedStream(300_000, 4)), await SHA256.HashDataAsync(data));
        Assert.Equal(140, count);
        Assert.Equal(4, plan.Components.Single().Chunks.Count);
    }
}
