using Archiver.Actors.Databases;
using Archiver.Actors.StorageIndexes;
using Archiver.Messages.Protocol;
using Archiver.Storage;
using Archiver.Storage.Backends;
using Archiver.Storage.Catalog;
using Archiver.Storage.FullBackups;
using Archiver.Storage.Layout;
using Archiver.Storage.Oplog;

namespace Archiver.Actors.Tests;

/// <summary>The scheduled oplog compaction, through a real storage index over a real repository.</summary>
public sealed partial class DatabaseActorSpecs
{
    [Fact]
    public async Task An_archived_database_has_its_old_chunks_merged_on_schedule_but_none_removed_while_a_restore_holds_a_lease()
    {
        var folder = Directory.CreateTempSubdirectory("archiver-compact-").FullName;
        try
        {
            var objects = new LocalFolderStore(folder);
            var layout = new RepositoryLayout("db/MongoDB/demo/mg-rs");
            var entries = SampleRepository.Entries(1_000, 400);
            using (var writer = new OplogChunkWriter(objects, layout, "rs0", 1, OplogTimestamp.Zero))
            {
                foreach (var pair in entries.Chunk(2))
                {
                    foreach (var entry in pair) writer.Append(entry);
                    await writer.PublishAsync();
                }
            }

            var backup = new FullBackupWriter(objects, layout, new BackupStart("logical", ["rs0"], 1, DateTimeOffset.UnixEpoch));
            await backup.AddFileAsync("all.bson", "rs0", new MemoryStream(new byte[100]));
            await backup.CompleteAsync(entries[10].Ts, entries[10].WallUnixMs, DateTimeOffset.UnixEpoch);
            var windows = (await RepositoryCatalog.LoadAsync(objects, layout)).Timeline(1).Windows();
            var lease = await RestoreLease.HoldAsync(objects, [layout.Prefix], "restore-reading", TimeProvider.System);
            _index = Sys.ActorOf(StorageIndexActor.Props(new ResourceId("stash", "local-storage"), new SampleRepository.OneStore(objects), new StorageIndexSettings(), TimeProvider.System));
            await StartAsync("scheduler: {schedule: \"0 * * * *\"}", settings: new DatabaseSettings
            {
                CompactionInterval = TimeSpan.FromMilliseconds(200),
                CompactionRemoveAfter = TimeSpan.Zero,
                FirstVerificationAfter = TimeSpan.FromHours(1),
            });

            // Merged (the walls are in 1970: all of it is older than the default hour), originals kept for the restore.
            await AwaitAssertAsync(async () => Assert.True(await CountAsync() > 200, $"{await CountAsync()} objects"), TimeSpan.FromSeconds(15));
            await Task.Delay(600);
            Assert.True(await CountAsync() > 200);

            await lease.DisposeAsync();
            await AwaitAssertAsync(async () => Assert.True(await CountAsync() < 5, $"{await CountAsync()} objects"), TimeSpan.FromSeconds(15));
            Assert.Equal(windows, (await RepositoryCatalog.LoadAsync(objects, layout)).Timeline(1).Windows());

            async Task<int> CountAsync()
            {
                var count = 0;
                await foreach (var _ in objects.ListAllAsync(layout.OplogRoot)) count++;
                return count;
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
